package org.machina.runtime.net;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libpcap capture file of Ethernet frames, written by its own thread so that capturing never
 * stalls the NIC.
 *
 * <p>Format (the classic libpcap file format, microsecond timestamps, written little-endian; the
 * magic number tells readers the byte order): a 24-byte global header (magic {@code 0xA1B2C3D4},
 * version 2.4, time zone 0, accuracy 0, snapshot length, link type 1 = {@code LINKTYPE_ETHERNET}),
 * then per frame a 16-byte record header (seconds, microseconds, captured length, original length)
 * and the first {@code snaplen} bytes of the frame.
 *
 * <p>Queue: {@link #capture} copies the frame's first {@code snaplen} bytes into {@link #queue}
 * (bound {@link #QUEUE_RECORDS} records and {@link #QUEUE_BYTES} bytes) and returns; the writer
 * thread {@code filter-dump-ID} writes them through a buffer that it flushes whenever the queue is
 * empty. When the queue is full (the disk is slower than the network), the frame is not recorded:
 * counted in {@link #dropped()} and logged once.
 */
public final class PcapWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PcapWriter.class);
    static final int MAGIC = 0xa1b2c3d4;
    static final int LINKTYPE_ETHERNET = 1;
    static final int QUEUE_RECORDS = 4096;
    static final long QUEUE_BYTES = 16L << 20;

    private record Rec(long seconds, int micros, int origLen, byte[] data) {
    }

    private static final Rec END = new Rec(0, 0, 0, new byte[0]);

    private final String id;
    private final int snaplen;
    private final OutputStream out;
    private final ArrayBlockingQueue<Rec> queue = new ArrayBlockingQueue<>(QUEUE_RECORDS + 1);
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final Thread writer;
    private volatile boolean closed;
    private volatile boolean failed;

    /** Creates (or truncates) {@code file} and writes the global header. */
    public PcapWriter(String id, Path file, int snaplen) throws IOException {
        if (snaplen <= 0) {
            throw new IllegalArgumentException("maxlen must be at least 1");
        }
        this.id = id;
        this.snaplen = snaplen;
        this.out = new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024);
        try {
            out.write(globalHeader(snaplen));
            out.flush();
        } catch (IOException e) {
            out.close();
            throw e;
        }
        writer = Thread.ofPlatform().daemon().name("filter-dump-" + id).start(this::writeLoop);
    }

    /** The 24-byte file header. */
    static byte[] globalHeader(int snaplen) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putShort((short) 2).putShort((short) 4)
                .putInt(0).putInt(0).putInt(snaplen).putInt(LINKTYPE_ETHERNET).array();
    }

    /** The 16-byte header of one record. */
    static byte[] recordHeader(long seconds, int micros, int captured, int original) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt((int) seconds).putInt(micros).putInt(captured)
                .putInt(original).array();
    }

    /**
     * Records the frame from {@code position} to {@code limit} (the buffer's position is not
     * changed). Any thread; never blocks.
     */
    public void capture(ByteBuffer frame) {
        if (closed || failed) {
            return;
        }
        int len = frame.remaining();
        int n = Math.min(len, snaplen);
        if (queuedBytes.get() + n > QUEUE_BYTES) {
            drop();
            return;
        }
        byte[] data = new byte[n];
        frame.get(frame.position(), data);
        Instant now = Instant.now();
        if (!queue.offer(new Rec(now.getEpochSecond(), now.getNano() / 1000, len, data))) {
            drop();
            return;
        }
        queuedBytes.addAndGet(n);
    }

    private void drop() {
        dropped.increment();
        if (dropped.sum() == 1) {
            LOG.warn("filter-dump {}: the capture file falls behind; frames are being left out (counted)", id);
        }
    }

    /** Frames left out because the queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** Records written to the file so far. */
    public long written() {
        return written.sum();
    }

    private void writeLoop() {
        try {
            while (true) {
                Rec r = queue.poll();
                if (r == null) {
                    out.flush();
                    r = queue.take();
                }
                if (r == END) {
                    break;
                }
                queuedBytes.addAndGet(-r.data.length);
                out.write(recordHeader(r.seconds, r.micros, r.data.length, r.origLen));
                out.write(r.data);
                written.increment();
            }
            out.flush();
        } catch (IOException e) {
            failed = true;
            LOG.warn("filter-dump {}: writing the capture file failed; capture stopped: {}", id, e.toString());
        } catch (InterruptedException e) {
            // closing
        } finally {
            try {
                out.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }

    /** Writes what is queued, then closes the file (waits at most 10 s for the writer). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            queue.put(END); // one slot is kept free for it
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
        }
        if (dropped.sum() > 0) {
            LOG.warn("filter-dump {}: {} frames were left out of the capture", id, dropped.sum());
        }
    }
}
