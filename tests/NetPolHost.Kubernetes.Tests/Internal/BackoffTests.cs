using NetPolHost.Kubernetes.Internal;

namespace NetPolHost.Kubernetes.Tests.Internal;

public sealed class BackoffTests
{
    [Fact]
    public void Next_DoublesUpToTheMaximum_WithJitterBetweenHalfAndAll_AndResetStartsOver()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(7));
        double[] nominal = [1, 2, 4, 8, 16, 30, 30, 30];

        var waits = nominal.Select(_ => backoff.Next().TotalSeconds).ToList();

        for (var i = 0; i < nominal.Length; i++)
        {
            Assert.InRange(waits[i], nominal[i] * 0.5, nominal[i]);
        }

        Assert.NotEqual(waits[5], waits[6]); // Jitter: agents on many nodes do not retry in step.
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }
}
