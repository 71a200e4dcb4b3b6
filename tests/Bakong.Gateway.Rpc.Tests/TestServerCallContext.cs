using Grpc.Core;

namespace Bakong.Gateway.Rpc.Tests;

/// <summary>
/// A <see cref="ServerCallContext"/> for calling a service method directly (after grpc-dotnet's
/// test/Shared/TestServerCallContext.cs): the call's cancellation token and user state, nothing on the wire.
/// </summary>
internal sealed class TestServerCallContext(string method, CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = [];

    protected override string MethodCore => method;

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:50000";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}

/// <summary>Collects what a server-streaming method writes.</summary>
internal sealed class TestServerStreamWriter<T> : IServerStreamWriter<T>
{
    public List<T> Written { get; } = [];

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message)
    {
        Written.Add(message);
        return Task.CompletedTask;
    }
}
