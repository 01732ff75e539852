package org.machina.chardev;

import java.io.IOException;
import java.io.InputStream;
import org.machina.api.chardev.CharBackend;
import org.machina.api.time.MachineExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Shared receiver handling and an input reader thread for stream-based backends. */
abstract class AbstractBackend implements CharBackend {
    protected final Logger log;
    private final String id;
    private final InputPump pump;

    AbstractBackend(String id, MachineExecutor executor) {
        this.id = id;
        this.pump = new InputPump(executor);
        this.log = LoggerFactory.getLogger("machina.chardev." + id);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void setReceiver(Receiver receiver) {
        pump.setReceiver(receiver);
    }

    @Override
    public void acceptInput() {
        pump.acceptInput();
    }

    /** Lets a backend consume some input itself (e.g. console escapes); returns the bytes left in {@code buf}. */
    protected int filterInput(byte[] buf, int n) {
        return n;
    }

    /** Reads {@code in} on a daemon thread until end of stream, feeding the receiver. */
    protected Thread startReader(String name, InputStream in) {
        Thread t = Thread.ofPlatform().daemon().name("chardev-" + id + "-" + name).start(() -> {
            byte[] buf = new byte[512];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    int kept = filterInput(buf, n);
                    if (kept > 0) {
                        pump.offer(buf, kept);
                    }
                }
            } catch (IOException e) {
                log.debug("input of chardev '{}' ended: {}", id, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return t;
    }
}
