package org.machina.net.user.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs a {@code -netdev user} stack alone and connects it to one client at a time over a stream
 * socket in QEMU's {@code -netdev stream} framing: every Ethernet frame, each way, is preceded by
 * its length as a 4-byte big-endian number. A QEMU guest connects with
 * {@code -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=PORT}
 * (or {@code addr.type=unix,addr.path=PATH}).
 */
@ProviderType
public interface NetStandalone {
    /**
     * What to run and where.
     *
     * @param netdev the {@code -netdev user} options (QEMU spelling, without {@code id}); a repeated
     *     option such as {@code hostfwd} has its values joined with {@code '\n'}
     * @param address a TCP ({@link InetSocketAddress}, port 0 for any) or Unix socket address to listen on
     */
    record Options(Map<String, String> netdev, SocketAddress address) {
    }

    /** A running server; closing it disconnects the client and stops the stack. */
    interface Serving extends AutoCloseable {
        /** The bound address (with the real port when port 0 was asked for). */
        SocketAddress address();

        /** The bound addresses of the {@code hostfwd=tcp:} rules, in order (a rule with port 0 gets a real one). */
        List<InetSocketAddress> tcpForwards();

        /** One line of counters (frames each way, drops by reason). */
        String statistics();

        @Override
        void close();
    }

    /**
     * Starts the stack and listens.
     *
     * @throws IllegalArgumentException for a bad or unimplemented {@code -netdev user} option, naming it
     * @throws IOException if the address or a hostfwd port cannot be bound
     */
    Serving serve(Options options) throws IOException;
}
