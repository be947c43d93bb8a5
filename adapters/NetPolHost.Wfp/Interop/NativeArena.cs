using System.Runtime.InteropServices;

namespace NetPolHost.Wfp.Interop;

/// <summary>Zeroed native memory that lives until the arena is disposed: the pointers inside a WFP structure must stay
/// valid for the whole call that takes it.</summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private readonly List<nint> _blocks = [];

    /// <summary>A zeroed <typeparamref name="T"/>.</summary>
    public T* Alloc<T>()
        where T : unmanaged => (T*)Bytes(sizeof(T));

    /// <summary>A zeroed array of <paramref name="count"/> <typeparamref name="T"/>.</summary>
    public T* Array<T>(int count)
        where T : unmanaged => (T*)Bytes(sizeof(T) * Math.Max(count, 1));

    /// <summary>Zeroed bytes.</summary>
    public byte* Bytes(int size)
    {
        var block = NativeMemory.AllocZeroed((nuint)size);
        _blocks.Add((nint)block);
        return (byte*)block;
    }

    /// <summary>A NUL-terminated UTF-16 copy of <paramref name="text"/>.</summary>
    public nint String(string text)
    {
        var target = (char*)Bytes((text.Length + 1) * sizeof(char));
        text.AsSpan().CopyTo(new Span<char>(target, text.Length));
        return (nint)target;
    }

    /// <summary>A copy of a GUID.</summary>
    public Guid* Guid(Guid value)
    {
        var target = Alloc<Guid>();
        *target = value;
        return target;
    }

    /// <summary>Frees every block.</summary>
    public void Dispose()
    {
        foreach (var block in _blocks)
        {
            NativeMemory.Free((void*)block);
        }

        _blocks.Clear();
    }
}
