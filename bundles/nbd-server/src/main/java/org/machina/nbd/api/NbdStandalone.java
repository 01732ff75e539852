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
     * What to serve and where.
     *
     * @param image the image file
     * @param format {@code raw}, {@code qcow2}, ... or null to probe the file
     * @param readOnly refuse writes; a backing file ({@code backingDepth > 0}) is always served read-only
     * @param address a TCP ({@link java.net.InetSocketAddress}, port 0 for any) or Unix socket address
     * @param exportName the export name (often empty)
     * @param backingDepth 0 serves the image, 1 its backing file, 2 that file's backing file, ...
     * @param shared clients served at once; 0 for no limit (the server's maximum)
     */
    record Options(Path image, String format, boolean readOnly, SocketAddress address, String exportName, int backingDepth,
            int shared) {
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

        @Override
        void close();
    }

    /**
     * Opens the image and starts serving it.
     *
     * @throws java.nio.file.NoSuchFileException if the image does not exist
     * @throws IOException if it cannot be opened (corrupt, wrong format, no such backing file), naming the file;
     * @throws java.net.SocketException if the address cannot be bound
     * @throws IllegalArgumentException for bad options (negative depth or shared count)
     */
    Serving serve(Options options) throws IOException;
}
