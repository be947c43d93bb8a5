using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace NetPolHost.Nftables.Runtime;

/// <summary>
/// A dedicated thread, optionally inside a network namespace, that runs work items one at a time. libnftables contexts
/// are not thread-safe and their netlink sockets belong to the namespace of the thread that opens them, so the
/// libnftables runner does all its work here.
/// </summary>
internal sealed partial class NamespaceThread : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private Exception? _startError;

    public NamespaceThread(string? networkNamespace, string name)
    {
        using var started = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            try
            {
                if (networkNamespace is not null)
                {
                    Enter(networkNamespace);
                }
            }
            catch (Exception ex)
            {
                _startError = ex;
            }
            finally
            {
                started.Set();
            }

            if (_startError is not null)
            {
                return;
            }

            foreach (var item in _work.GetConsumingEnumerable())
            {
                item();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        _thread.Start();
        started.Wait();
        if (_startError is not null)
        {
            throw _startError;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the thread and waits for it.</summary>
    public T Invoke<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        using var done = new ManualResetEventSlim();
        _work.Add(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        if (error is not null)
        {
            throw new InvalidOperationException(error.Message, error);
        }

        return result;
    }

    /// <summary>Moves the calling thread into a network namespace (a name under /run/netns, or a path).</summary>
    public static void Enter(string networkNamespace)
    {
        var path = networkNamespace.Contains('/', StringComparison.Ordinal) ? networkNamespace : "/run/netns/" + networkNamespace;
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new IOException($"setns into network namespace {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    public void Dispose()
    {
        // The worker ends when the queue is complete; the queue is not disposed under it.
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread && _thread.Join(TimeSpan.FromSeconds(30)))
        {
            _work.Dispose();
        }
    }
}
