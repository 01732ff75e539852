package org.machina.chardev;

import java.util.ArrayDeque;
import org.machina.api.chardev.CharBackend;
import org.machina.api.time.MachineExecutor;

/**
 * Carries host input to a device on the machine thread with back-pressure: bytes wait in a
 * bounded queue while the receiver cannot take them, and the reading thread blocks when the
 * queue is full.
 */
final class InputPump {
    private static final int CAPACITY = 4096;

    private final MachineExecutor executor;
    private final ArrayDeque<Integer> queue = new ArrayDeque<>();
    private volatile CharBackend.Receiver receiver;
    private boolean drainPosted;

    InputPump(MachineExecutor executor) {
        this.executor = executor;
    }

    void setReceiver(CharBackend.Receiver receiver) {
        this.receiver = receiver;
        if (receiver != null) {
            acceptInput();
        }
    }

    /** Called by an I/O thread; blocks while the queue is full. */
    void offer(byte[] data, int length) throws InterruptedException {
        synchronized (queue) {
            for (int i = 0; i < length; i++) {
                while (queue.size() >= CAPACITY) {
                    queue.wait();
                }
                queue.add(data[i] & 0xff);
            }
        }
        acceptInput();
    }

    /** Schedules delivery on the machine thread. */
    void acceptInput() {
        synchronized (queue) {
            if (drainPosted || queue.isEmpty()) {
                return;
            }
            drainPosted = true;
        }
        try {
            executor.execute(this::drain);
        } catch (IllegalStateException stopped) {
            // the machine has stopped; input is dropped
        }
    }

    private void drain() {
        CharBackend.Receiver r = receiver;
        synchronized (queue) {
            drainPosted = false;
            while (r != null && !queue.isEmpty() && r.canReceive()) {
                r.receive(queue.poll());
            }
            queue.notifyAll();
        }
    }
}
