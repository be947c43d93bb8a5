using System.Globalization;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>Splits a watch stream into its newline-delimited JSON events, wherever the HTTP chunks happen to cut
/// them.</summary>
internal sealed class LineReader
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public LineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>The next line without its newline, or <see langword="null"/> at the end of the stream. The memory is valid
    /// until the next call. Text after the last newline is returned as a last line.</summary>
    /// <exception cref="InvalidDataException">A line is longer than the limit.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanFrom = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', scanFrom, _end - scanFrom);
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            scanFrom = _end;
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= _maxLineBytes)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"expected watch events of at most {_maxLineBytes} bytes, found a longer line"));
                }

                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxLineBytes));
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start)
                {
                    return null;
                }

                var last = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                return last;
            }

            _end += read;
        }
    }
}
