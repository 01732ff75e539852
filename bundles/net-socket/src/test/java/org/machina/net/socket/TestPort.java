package org.machina.net.socket;

import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.machina.api.net.Netdev;

/** A NIC for the tests: records what it receives, can be told to stop receiving; its own thread plays the machine thread. */
final class TestPort implements Netdev.Port, AutoCloseable {
    final ExecutorService executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("test-nic").unstarted(r));
    final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    final Semaphore sendReady = new Semaphore(0);
    volatile boolean open = true;

    @Override
    public boolean canReceive() {
        return open;
    }

    @Override
    public boolean receive(ByteBuffer frame) {
        if (!open) {
            return false;
        }
        byte[] f = new byte[frame.remaining()];
        frame.get(f);
        received.add(f);
        return true;
    }

    @Override
    public void sendReady() {
        sendReady.release();
    }

    byte[] next() throws InterruptedException {
        byte[] f = received.poll(20, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame reached the NIC");
        }
        return f;
    }

    /** A frame of {@code n} bytes: broadcast destination, a marker in the source MAC, EtherType 0x88B5 (local experimental), then a pattern. */
    static byte[] frame(int n, int marker) {
        byte[] f = new byte[n];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) 0xff;
        }
        f[6] = 0x52;
        f[7] = 0x54;
        ByteBuffer.wrap(f).putInt(8, marker);
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xb5;
        for (int i = 14; i < n; i++) {
            f[i] = (byte) (i * 7 + marker);
        }
        return f;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
