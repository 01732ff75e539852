package org.machina.nbd.api;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Serves one image file on a server of its own, like {@code qemu-nbd}: the service behind
 * {@code machina nbd serve}. Block drivers are the framework's {@code BlockDriver} services (or, outside
 * a framework, those {@link java.util.ServiceLoader} finds).
 *
 * @since 1.1
 */
@ProviderType
public interface NbdStandalone {
    /**
     * What to serve and where, with {@code qemu-nbd}'s meaning for each option.
     *
     * @param image the image file
     * @param format {@code raw}, {@code qcow2}, ... or null to probe the file
     * @param readOnly refuse writes; a backing file ({@code backingDepth > 0}) is always served read-only
     * @param address a TCP ({@link java.net.InetSocketAddress}, port 0 for any) or Unix socket address
     * @param exportName the export name (often empty)
     * @param backingDepth 0 serves the image, 1 its backing file, 2 that file's backing file, ...
     * @param shared clients served at once; 0 for no limit (the server's maximum)
     * @param description the export description clients can read ({@code -D}); empty for none
     * @param persistent keep serving when the last client leaves ({@code -t}); otherwise the server stops
     *        once a client has finished the handshake and no client is left, as {@code qemu-nbd} does
     * @param snapshot serve a throw-away overlay over the image ({@code -s}): writes go to a temporary
     *        file deleted when the server stops; the image is opened read-only
     * @param offset serve the image from this byte offset on ({@code -o})
     * @param allocationDepth offer the {@code qemu:allocation-depth} metadata context ({@code -A}): for each
     *        range, 0 if no file of the chain holds it, 1 if the image does, 2 its backing file, ...
     * @param io how writes, flushes and discards reach the image
     * @param verbose print each client's arrival and departure on stderr ({@code -v})
     * @since 1.2
     */
    record Options(Path image, String format, boolean readOnly, SocketAddress address, String exportName, int backingDepth,
            int shared, String description, boolean persistent, boolean snapshot, long offset, boolean allocationDepth, Io io,
            boolean verbose) {
        /** The 1.1 options: no description, persistent, the image itself, discards reach the image. */
        public Options(Path image, String format, boolean readOnly, SocketAddress address, String exportName, int backingDepth,
                int shared) {
            this(image, format, readOnly, address, exportName, backingDepth, shared, "", true, false, 0, false,
                    new Io(Cache.WRITEBACK, true, DetectZeroes.OFF), false);
        }
    }

    /** {@code qemu-nbd --cache}: when writes are stable. */
    enum Cache {
        /** Flush on request; Machina does not bypass the host page cache (no {@code O_DIRECT}). */
        NONE,
        /** Flush on request (the default). */
        WRITEBACK,
        /** Every write is flushed before it completes. */
        WRITETHROUGH,
        /** As {@link #WRITETHROUGH} (without {@code O_DIRECT}, see {@link #NONE}). */
        DIRECTSYNC,
        /** Flush requests are ignored. */
        UNSAFE
    }

    /** {@code qemu-nbd --detect-zeroes}: writes of all-zero data. */
    enum DetectZeroes {
        OFF,
        /** An all-zero write becomes a write-zeroes. */
        ON,
        /** As {@link #ON}; the format may deallocate the range (needs discards passed on). */
        UNMAP
    }

    /**
     * @param cache when writes are stable
     * @param discard pass discards (trim) on to the image ({@code --discard=unmap}); false ignores them
     *        ({@code --discard=ignore}, qemu-nbd's default)
     * @param detectZeroes what to do with all-zero writes
     */
    record Io(Cache cache, boolean discard, DetectZeroes detectZeroes) {
        /** qemu-nbd's defaults: writeback, discards ignored, no zero detection. */
        public static final Io DEFAULT = new Io(Cache.WRITEBACK, false, DetectZeroes.OFF);
    }

    /** A running standalone server. Closing it disconnects the clients, stops listening and closes the image. */
    interface Serving extends AutoCloseable {
        /** The bound address (with the real port when port 0 was asked for). */
        SocketAddress address();

        /** The format the image was opened with (probed or given). */
        String format();

        /** Size in bytes of the exported node. */
        long size();

        /** Whether the export refuses writes. */
        boolean readOnly();

        /**
         * Waits until the server stops: closed, or (not persistent) the last client has left.
         *
         * @since 1.2
         */
        void awaitEnd() throws InterruptedException;

        @Override
        void close();
    }

    /**
     * Opens the image and starts serving it.
     *
     * @throws java.nio.file.NoSuchFileException if the image does not exist
     * @throws IOException if it cannot be opened (corrupt, wrong format, no such backing file), naming the file;
     * @throws java.net.SocketException if the address cannot be bound
     * @throws IllegalArgumentException for bad options (negative depth, shared count or offset; an offset beyond
     *         the end; detect-zeroes=unmap without discards)
     */
    Serving serve(Options options) throws IOException;
}
