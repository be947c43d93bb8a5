using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>Assertions on a <see cref="LoadResult"/> that compare every diagnostic in full
/// (<c>file:line:col: path: message</c>), one per line, so a failure shows a readable diff.</summary>
internal static class LoadAssert
{
    public static void Errors(LoadResult result, params string[] expected) =>
        Assert.Equal(string.Join("\n", expected), string.Join("\n", result.Errors.Select(e => e.ToString())));

    public static void Notes(LoadResult result, params string[] expected) =>
        Assert.Equal(string.Join("\n", expected), string.Join("\n", result.Notes.Select(e => e.ToString())));

    public static void Valid(LoadResult result)
    {
        Errors(result);
        Assert.True(result.IsValid);
    }
}
