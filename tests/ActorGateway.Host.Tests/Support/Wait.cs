namespace ActorGateway.Host.Tests.Support;

public static class Wait
{
    /// <summary>Polls until the condition holds; fails with the description (and last state) otherwise.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {timeout}: {describe()}");
            await Task.Delay(100);
        }
    }
}
