using System.Net;
using System.Net.Sockets;

namespace Rates.Testing;

/// <summary>
/// A TCP relay on 127.0.0.1 that holds each new connection for a while before passing it on to the server: a database
/// that is slow to accept connections, as a just-promoted leader on a busy machine is. A client that hangs up before
/// then never reaches the server.
/// </summary>
public sealed class SlowAcceptRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _delay;
    private readonly Task _accepting;

    public SlowAcceptRelay(string host, int port, TimeSpan delay)
    {
        (_host, _port, _delay) = (host, port, delay);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        var relays = new List<Task>();
        try
        {
            while (true)
            {
                relays.Add(RelayAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(relays);
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await Task.Delay(_delay, _stop.Token);
                using var server = new TcpClient();
                await server.ConnectAsync(_host, _port, _stop.Token);
                await using var fromClient = client.GetStream();
                await using var fromServer = server.GetStream();
                // Either side closing ends the relay of both.
                await Task.WhenAny(fromClient.CopyToAsync(fromServer, _stop.Token), fromServer.CopyToAsync(fromClient, _stop.Token));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
                // The relay was stopped, or one side went away.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
