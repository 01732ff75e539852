package org.machina.runtime.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.net.Netdev;

/**
 * {@code -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N][,queue=all|rx|tx][,status=on|off]}:
 * a {@link Netdev} in front of another that records the frames passing through it in a libpcap file
 * ({@link PcapWriter}). Frames are recorded when they are taken: a frame the backend refuses (queue
 * full) is recorded when the NIC sends it again and it is taken; a frame the NIC refuses, when it
 * is delivered. The frames themselves are not changed or delayed.
 *
 * <p>QEMU's directions: {@code rx} is what the netdev receives (frames the guest sends), {@code tx}
 * what the netdev transmits (frames for the guest), {@code all} both (the default).
 */
public final class DumpFilter implements Netdev {
    /** QEMU's default {@code maxlen}: 64 KiB. */
    public static final int DEFAULT_MAXLEN = 65536;

    /** The filter's options, checked. */
    public record Options(String id, String netdev, Path file, int maxlen, boolean fromGuest, boolean toGuest, boolean on) {
        /**
         * Parses the description entry's properties ({@code netdev}, {@code file}, {@code maxlen},
         * {@code queue}, {@code status}, {@code position}, {@code insert}).
         *
         * @throws IllegalArgumentException naming the option that is wrong
         */
        public static Options parse(String id, Map<String, String> props, Path base) {
            Map<String, String> o = new LinkedHashMap<>(props);
            String netdev = o.remove("netdev");
            if (netdev == null || netdev.isEmpty()) {
                throw new IllegalArgumentException("missing 'netdev' (the -netdev id to capture)");
            }
            String file = o.remove("file");
            if (file == null || file.isEmpty()) {
                throw new IllegalArgumentException("missing 'file' (the pcap file to write)");
            }
            int maxlen = DEFAULT_MAXLEN;
            String m = o.remove("maxlen");
            if (m != null) {
                try {
                    maxlen = Integer.parseInt(m);
                } catch (NumberFormatException e) {
                    maxlen = -1;
                }
                if (maxlen < 1) {
                    throw new IllegalArgumentException("'maxlen=" + m + "': expected a number of bytes >= 1");
                }
            }
            String queue = o.getOrDefault("queue", "all");
            o.remove("queue");
            if (!queue.equals("all") && !queue.equals("rx") && !queue.equals("tx")) {
                throw new IllegalArgumentException("'queue=" + queue + "': expected all, rx or tx");
            }
            String status = o.getOrDefault("status", "on");
            o.remove("status");
            if (!status.equals("on") && !status.equals("off")) {
                throw new IllegalArgumentException("'status=" + status + "': expected on or off");
            }
            String position = o.remove("position");
            if (position != null && !position.equals("head") && !position.equals("tail")) {
                throw new IllegalArgumentException("'position=" + position + "': only head or tail (a dump filter changes no frame,"
                        + " so its place among filters does not matter)");
            }
            if (o.containsKey("insert")) {
                throw new IllegalArgumentException("'insert' goes with position=id=..., which is not supported");
            }
            if (!o.isEmpty()) {
                throw new IllegalArgumentException("unknown option '" + o.keySet().iterator().next()
                        + "'; accepted: netdev, file, maxlen, queue, status, position");
            }
            return new Options(id, netdev, base.resolve(file), maxlen, !queue.equals("tx"), !queue.equals("rx"), status.equals("on"));
        }
    }

    private final Netdev inner;
    private final Options options;
    private final PcapWriter pcap;

    /** Opens the capture file and wraps {@code inner}; closing the filter closes both. */
    public DumpFilter(Netdev inner, Options options) throws IOException {
        this.inner = inner;
        this.options = options;
        this.pcap = new PcapWriter(options.id(), options.file(), options.maxlen());
    }

    PcapWriter pcap() {
        return pcap;
    }

    @Override
    public String id() {
        return inner.id();
    }

    @Override
    public boolean send(ByteBuffer frame) {
        ByteBuffer view = frame.duplicate();
        boolean taken = inner.send(frame);
        if (taken && options.on() && options.fromGuest()) {
            pcap.capture(view);
        }
        return taken;
    }

    @Override
    public void attach(Port port) {
        if (port == null) {
            inner.attach(null);
            return;
        }
        inner.attach(new Port() {
            @Override
            public boolean canReceive() {
                return port.canReceive();
            }

            @Override
            public boolean receive(ByteBuffer frame) {
                ByteBuffer view = frame.duplicate();
                boolean taken = port.receive(frame);
                if (taken && options.on() && options.toGuest()) {
                    pcap.capture(view);
                }
                return taken;
            }

            @Override
            public void sendReady() {
                port.sendReady();
            }
        });
    }

    @Override
    public void receiveReady() {
        inner.receiveReady();
    }

    @Override
    public void close() {
        try {
            inner.close();
        } finally {
            pcap.close();
        }
    }
}
