package org.machina.api.chardev;

import java.util.function.IntConsumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A byte stream between a device (a UART, a debug console) and the host: stdio, a file, a
 * socket. Writes never block the machine thread (backends buffer or drop with a log line).
 * Input arrives on the machine thread through the receiver, one byte at a time, only while the
 * receiver says it {@link Receiver#canReceive() can receive}: that is the back-pressure.
 */
@ProviderType
public interface CharBackend extends AutoCloseable {
    String id();

    /** Writes bytes from the guest to the host side. */
    void write(byte[] data, int offset, int length);

    default void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** Sets the receiver of host input (null to detach). */
    void setReceiver(Receiver receiver);

    /** Tells the backend the receiver can take more input again (after a full FIFO drained). */
    void acceptInput();

    @Override
    void close();

    /** The device side of input. */
    interface Receiver {
        /** Whether one more byte can be taken now. */
        boolean canReceive();

        /** A byte from the host. */
        void receive(int b);
    }
}
