using System.Reflection;

namespace Rates.Build.Framework;

/// <summary>A target with its references resolved to other targets of the same build.</summary>
internal sealed class ExecutableTarget(string name, TargetDefinition definition)
{
    public string Name { get; } = name;
    public TargetDefinition Definition { get; } = definition;
    public string Description => Definition.DescriptionText ?? "";
    public List<ExecutableTarget> DependsOn { get; } = [];
    public List<ExecutableTarget> After { get; } = [];
    public List<ExecutableTarget> Before { get; } = [];

    public override string ToString() => Name;
}

/// <summary>
/// The targets of a build class (its <see cref="Target"/>-typed properties) and the rules that order them.
/// </summary>
internal sealed class BuildGraph
{
    private BuildGraph(IReadOnlyList<ExecutableTarget> targets) => Targets = targets;

    /// <summary>All targets, sorted by name.</summary>
    public IReadOnlyList<ExecutableTarget> Targets { get; }

    public ExecutableTarget? Find(string name) =>
        Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads every target definition of <paramref name="build"/> and rejects dangling references and cycles.</summary>
    public static BuildGraph Create(object build)
    {
        var properties = build.GetType()
            .GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(Target))
            .OrderBy(p => p.Name, StringComparer.Ordinal);

        // Each property getter returns a fresh delegate, but delegates over the same lambda and instance share
        // Method and Target; that pair identifies the target when another one refers to it (NUKE does the same).
        var byDelegate = new Dictionary<(MethodInfo, object?), ExecutableTarget>();
        var targets = new List<ExecutableTarget>();
        foreach (var property in properties)
        {
            var factory = (Target?)property.GetValue(build)
                ?? throw new BuildDefinitionException($"Target '{property.Name}' is null.");
            var definition = new TargetDefinition();
            if (!ReferenceEquals(factory(definition), definition))
                throw new BuildDefinitionException($"Target '{property.Name}' must return the definition it was given (_ => _.Executes(...)).");
            var target = new ExecutableTarget(property.Name, definition);
            byDelegate[(factory.Method, factory.Target)] = target;
            targets.Add(target);
        }

        foreach (var target in targets)
        {
            target.DependsOn.AddRange(target.Definition.Dependencies.Select(Resolve));
            target.After.AddRange(target.Definition.AfterTargets.Select(Resolve));
            target.Before.AddRange(target.Definition.BeforeTargets.Select(Resolve));

            ExecutableTarget Resolve(Target reference) =>
                byDelegate.GetValueOrDefault((reference.Method, reference.Target))
                ?? throw new BuildDefinitionException(
                    $"Target '{target.Name}' refers to a target that is not a Target property of {build.GetType().Name}.");
        }

        var graph = new BuildGraph(targets);
        graph.ThrowOnCycle();
        return graph;
    }

    /// <summary>
    /// The targets to run for <paramref name="requested"/>, each once: requested targets and everything they
    /// depend on, ordered so that dependencies and After/Before constraints among scheduled targets hold.
    /// Ties are broken by a depth-first walk of the request (dependencies in declared order), which keeps the
    /// order deterministic and close to what the command line asked for.
    /// </summary>
    public IReadOnlyList<ExecutableTarget> Plan(IEnumerable<ExecutableTarget> requested)
    {
        var walk = new List<ExecutableTarget>();
        foreach (var target in requested)
            Visit(target);

        var scheduled = walk.ToHashSet();
        var successors = walk.ToDictionary(t => t, _ => new List<ExecutableTarget>());
        var pending = walk.ToDictionary(t => t, _ => 0);
        foreach (var (before, after) in OrderingEdges().Where(e => scheduled.Contains(e.First) && scheduled.Contains(e.Then)))
        {
            successors[before].Add(after);
            pending[after]++;
        }

        // Kahn's algorithm, always taking the ready target that came first in the walk.
        var plan = new List<ExecutableTarget>();
        var ready = new SortedSet<int>(walk.Where(t => pending[t] == 0).Select(t => walk.IndexOf(t)));
        while (ready.Count > 0)
        {
            var next = walk[ready.Min];
            ready.Remove(ready.Min);
            plan.Add(next);
            foreach (var successor in successors[next])
            {
                if (--pending[successor] == 0)
                    ready.Add(walk.IndexOf(successor));
            }
        }

        return plan;

        void Visit(ExecutableTarget target)
        {
            if (walk.Contains(target))
                return;
            foreach (var dependency in target.DependsOn)
                Visit(dependency);
            walk.Add(target);
        }
    }

    /// <summary>Every "First must run before Then" constraint of the build.</summary>
    private IEnumerable<(ExecutableTarget First, ExecutableTarget Then)> OrderingEdges() =>
        Targets.SelectMany(t =>
            t.DependsOn.Select(d => (d, t))
                .Concat(t.After.Select(a => (a, t)))
                .Concat(t.Before.Select(b => (t, b))));

    private void ThrowOnCycle()
    {
        var successors = Targets.ToDictionary(t => t, _ => new List<ExecutableTarget>());
        foreach (var (first, then) in OrderingEdges())
            successors[first].Add(then);

        var done = new HashSet<ExecutableTarget>();
        var path = new List<ExecutableTarget>();
        foreach (var target in Targets)
            Visit(target);

        void Visit(ExecutableTarget target)
        {
            var onPath = path.IndexOf(target);
            if (onPath >= 0)
            {
                var cycle = path.Skip(onPath).Append(target).Select(t => t.Name);
                throw new BuildDefinitionException(
                    $"Dependency cycle between targets (each must run before the next): {string.Join(" -> ", cycle)}");
            }

            if (!done.Add(target))
                return;
            path.Add(target);
            foreach (var next in successors[target].OrderBy(t => t.Name, StringComparer.Ordinal))
                Visit(next);
            path.RemoveAt(path.Count - 1);
        }
    }
}
