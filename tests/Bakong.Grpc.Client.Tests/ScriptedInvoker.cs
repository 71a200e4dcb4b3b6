using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;

namespace Bakong.Grpc.Client.Tests;

/// <summary>A gateway stand-in: records each call (request and headers) and answers it with the test's next answer.</summary>
internal sealed class ScriptedInvoker : CallInvoker
{
    private readonly Queue<TaskCompletionSource<IMessage>> _answers = new();

    public Channel<(IMessage Request, Metadata Headers, DateTime? Deadline)> Calls { get; } =
        Channel.CreateUnbounded<(IMessage, Metadata, DateTime?)>();

    /// <summary>The answer to the next call, to complete or fail when the test chooses.</summary>
    public TaskCompletionSource<IMessage> Next()
    {
        var answer = new TaskCompletionSource<IMessage>();
        _answers.Enqueue(answer);
        return answer;
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var answer = Record(request, options);
        return new AsyncUnaryCall<TResponse>(
            AnswerAsync<TResponse>(answer), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Record(request, options);
        return new AsyncServerStreamingCall<TResponse>(
            new EmptyStream<TResponse>(), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException();

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

    private TaskCompletionSource<IMessage> Record<TRequest>(TRequest request, CallOptions options)
    {
        // A copy: the test compares what was sent on each call, whatever the caller did to the request since.
        var message = (IMessage)request!;
        var copy = message.Descriptor.Parser.ParseFrom(message.ToByteArray());
        Calls.Writer.TryWrite((copy, options.Headers ?? [], options.Deadline));
        return _answers.Count > 0 ? _answers.Dequeue() : Next();
    }

    private static async Task<TResponse> AnswerAsync<TResponse>(TaskCompletionSource<IMessage> answer) =>
        (TResponse)await answer.Task.ConfigureAwait(false);

    private sealed class EmptyStream<T> : IAsyncStreamReader<T>
    {
        public T Current => throw new InvalidOperationException();

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(false);
    }
}
