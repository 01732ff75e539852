package org.machina.api.fastpath;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One I/O port's fast path, bound once for a CPU to keep ({@link FastPathDispatch#bindPort}):
 * {@link #read} and {@link #write} answer as {@link FastPathDispatch#readPort} and
 * {@link FastPathDispatch#writePort} on {@link #port} would at the same moment, without looking
 * the port up again. It follows attaches, detaches, map changes and the machine's switch
 * ({@code x-machina-fastpath}) by itself, so the CPU may keep it for the machine's life. It may keep
 * what it looked up for its caller: one thread uses it (the one that runs the CPU).
 *
 * @since 2.4.0
 */
@ProviderType
public interface FastPathPort {
    /** The port (0-0xFFFF) this is bound to. */
    int port();

    /** {@link FastPathDispatch#readPort}{@code (port(), size, result)}. */
    boolean read(int size, FastPathRead result);

    /** {@link FastPathDispatch#writePort}{@code (port(), size, value)}. */
    boolean write(int size, long value);
}
