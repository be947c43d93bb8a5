using NetPolHost.Timing;

namespace NetPolHost.Core.Tests.Timing;

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

    [Fact]
    public void Next_WithoutJitter_IsTheNominalWait_AndFailuresAreCounted()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds));
        Assert.Equal(8, backoff.Failures);
        backoff.Reset();
        Assert.Equal(0, backoff.Failures);
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next());
    }
}
