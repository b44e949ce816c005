namespace Rates.Migrator;

// A named entry point (not top-level statements): the API's tests see this assembly's internals, and a second
// global Program class would clash with the API's.
internal static class EntryPoint
{
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Ctrl+C cancels the load; its transaction rolls back.
            e.Cancel = true;
            cancellation.Cancel();
        };

        return await MigratorCommand.RunAsync(args, Console.Out, Console.Error, cancellation.Token);
    }
}
