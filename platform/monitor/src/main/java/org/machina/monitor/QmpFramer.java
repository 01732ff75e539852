package org.machina.monitor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits the QMP input byte stream into JSON texts, as QEMU's streaming parser does: a message
 * ends where its outermost brace or bracket closes; anything else at the top level (a bare word,
 * a stray closing brace) ends at whitespace and is passed on so that the parser can reject it.
 * Newlines are not required between messages. Structural characters are ASCII, so working on
 * bytes is safe for UTF-8 input.
 */
final class QmpFramer {
    /** A message grew beyond the limit; the connection should be closed. */
    static final class TooLargeException extends Exception {
        private static final long serialVersionUID = 1L;

        TooLargeException(int limit) {
            super("QMP message exceeds the limit of " + limit + " bytes");
        }
    }

    private final int limit;
    private final Consumer<String> sink;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private int depth;
    private boolean inString;
    private boolean escape;

    QmpFramer(int limit, Consumer<String> sink) {
        this.limit = limit;
        this.sink = sink;
    }

    void feed(byte[] data, int offset, int length) throws TooLargeException {
        for (int i = offset; i < offset + length; i++) {
            feed(data[i]);
        }
    }

    private void feed(byte b) throws TooLargeException {
        if (depth == 0 && !inString) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                flush();
                return;
            }
            if (b == '{' || b == '[') {
                flush();
                append(b);
                depth = 1;
                return;
            }
            append(b);
            if (b == '}' || b == ']') {
                flush();
            } else if (b == '"') {
                inString = true;
            }
            return;
        }
        append(b);
        if (inString) {
            if (escape) {
                escape = false;
            } else if (b == '\\') {
                escape = true;
            } else if (b == '"') {
                inString = false;
            }
            return;
        }
        switch (b) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> {
                if (--depth == 0) {
                    flush();
                }
            }
            default -> { }
        }
    }

    private void append(byte b) throws TooLargeException {
        if (buffer.size() >= limit) {
            throw new TooLargeException(limit);
        }
        buffer.write(b);
    }

    private void flush() {
        if (buffer.size() > 0) {
            String text = buffer.toString(StandardCharsets.UTF_8);
            buffer.reset();
            depth = 0;
            inString = false;
            escape = false;
            sink.accept(text);
        }
    }
}
