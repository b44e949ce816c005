using System.Xml.Linq;
using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>
/// build.sh and build.ps1 run the compiled build without compiling it again while nothing under the paths of
/// build/build-inputs.txt changed; a project the build references outside those paths would be left stale.
/// </summary>
public class BuildInputsTests
{
    private static readonly string s_root = BuildBase.RootDirectory;

    [Fact]
    public void Every_project_and_file_the_build_compiles_from_lies_under_a_listed_input()
    {
        var inputs = File.ReadAllLines(Path.Combine(s_root, "build", "build-inputs.txt"))
            .Select(line => line.Split('#')[0].Trim())
            .Where(line => line.Length > 0)
            .Select(line => Path.GetFullPath(Path.Combine(s_root, line)))
            .ToList();

        var uncovered = BuildSources(Path.Combine(s_root, "build", "_build.csproj"))
            .Where(path => !inputs.Any(input => path == input || path.StartsWith(input + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .Select(path => Path.GetRelativePath(s_root, path))
            .ToList();

        Assert.True(uncovered.Count == 0, $"not covered by build/build-inputs.txt: {string.Join(", ", uncovered)}");
        Assert.Contains(Path.Combine(s_root, "build"), inputs);
        Assert.Contains(Path.Combine(s_root, "Directory.Packages.props"), inputs);
    }

    /// <summary>The folder of every project the build compiles (itself and its references, transitively) and the folder of
    /// every item such a project takes from outside its own folder (e.g. the embedded migrations).</summary>
    private static IEnumerable<string> BuildSources(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
                continue;
            var directory = Path.GetDirectoryName(current)!;
            yield return directory;
            foreach (var item in XDocument.Load(current).Descendants().Where(e => e.Attribute("Include") is not null))
            {
                var include = item.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                if (item.Name.LocalName == "ProjectReference")
                    pending.Push(Path.GetFullPath(Path.Combine(directory, include)));
                else if (include.StartsWith("..", StringComparison.Ordinal))
                    yield return Path.GetDirectoryName(Path.GetFullPath(Path.Combine(directory, include)))!;
            }
        }
    }
}
