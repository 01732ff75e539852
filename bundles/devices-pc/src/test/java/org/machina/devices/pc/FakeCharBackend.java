package org.machina.devices.pc;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import org.machina.api.chardev.CharBackend;

/** An in-memory character backend: records output and feeds queued input while the receiver accepts it. */
final class FakeCharBackend implements CharBackend {
    private final String id;
    final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final ArrayDeque<Integer> pendingInput = new ArrayDeque<>();
    Receiver receiver;
    int acceptInputCalls;

    FakeCharBackend(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        output.write(data, offset, length);
    }

    @Override
    public void setReceiver(Receiver receiver) {
        this.receiver = receiver;
    }

    /** Queues host input and delivers as much as the receiver takes. */
    void type(String text) {
        for (char c : text.toCharArray()) {
            pendingInput.add((int) c);
        }
        pump();
    }

    void pump() {
        while (receiver != null && !pendingInput.isEmpty() && receiver.canReceive()) {
            receiver.receive(pendingInput.poll());
        }
    }

    @Override
    public void acceptInput() {
        acceptInputCalls++;
        pump();
    }

    @Override
    public void close() {
    }
}
