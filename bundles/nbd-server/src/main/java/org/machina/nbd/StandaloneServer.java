package org.machina.nbd;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.machina.api.block.BlockDriver;
import org.machina.api.block.BlockNode;
import org.machina.nbd.api.NbdStandalone;

/** Serves one image on a server of its own ({@code qemu-nbd}); the drivers come from a supplier. */
class StandaloneServer implements NbdStandalone {
    private final Supplier<? extends Collection<BlockDriver>> drivers;

    StandaloneServer(Supplier<? extends Collection<BlockDriver>> drivers) {
        this.drivers = drivers;
    }

    @Override
    public Serving serve(Options o) throws IOException {
        if (o.backingDepth() < 0) {
            throw new IllegalArgumentException("backing depth " + o.backingDepth() + " is negative");
        }
        if (o.shared() < 0) {
            throw new IllegalArgumentException("shared client count " + o.shared() + " is negative (0 means no limit)");
        }
        if (o.offset() < 0) {
            throw new IllegalArgumentException("offset " + o.offset() + " is negative");
        }
        NbdStandalone.Io io = o.io() != null ? o.io() : NbdStandalone.Io.DEFAULT;
        if (io.detectZeroes() == NbdStandalone.DetectZeroes.UNMAP && !io.discard()) {
            throw new IllegalArgumentException("detect-zeroes=unmap needs discard=unmap");
        }
        boolean readOnly = o.readOnly() || o.backingDepth() > 0;
        Map<String, BlockDriver> byFormat = new TreeMap<>();
        for (BlockDriver d : drivers.get()) {
            byFormat.put(d.format(), d);
        }
        String format = o.format() != null ? o.format() : probe(o.image(), byFormat);
        BlockDriver driver = byFormat.get(format);
        if (driver == null) {
            throw new IOException("no block driver for format '" + format + "' (installed: "
                    + (byFormat.isEmpty() ? "none" : String.join(", ", byFormat.keySet())) + ")");
        }
        BlockNode top;
        try {
            top = driver.open("nbd0", o.image(), readOnly || o.snapshot(), Map.of());
        } catch (NoSuchFileException e) {
            NoSuchFileException n = new NoSuchFileException(e.getFile(), null, "a file of the backing chain of '"
                    + o.image() + "' does not exist");
            throw e.getFile() != null && Path.of(e.getFile()).equals(o.image()) ? e : n;
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot open '" + o.image() + "' as " + format + ": " + e.getMessage(), e);
        }
        BlockNode overlay = null;
        try {
            BlockNode node = top;
            for (int i = 0; i < o.backingDepth(); i++) {
                node = node.backing();
                if (node == null) {
                    throw new IOException("'" + o.image() + "' has no backing file at depth " + (i + 1)
                            + " (its chain has " + i + " backing file" + (i == 1 ? "" : "s") + ")");
                }
            }
            if (o.snapshot()) {
                node = overlay = new ScratchOverlay("nbd0-snapshot", node);
            }
            BlockNode served = new TunedNode(node, o.offset(), io);
            NbdServer server = new NbdServer(o.shared() == 0 ? 1024 : o.shared(), 30_000);
            server.addExport(new NbdExport(o.exportName() == null ? "" : o.exportName(), served, readOnly || served.readOnly(),
                    o.description() == null ? "" : o.description(), o.allocationDepth()));
            Running running = new Running(server, top, overlay, served, format, readOnly || served.readOnly(),
                    new CountDownLatch(1));
            server.setClientListener(running.listener(o.persistent(), o.verbose()));
            try {
                server.start(o.address());
            } catch (IOException e) {
                java.net.SocketException s = new java.net.SocketException(e.getMessage());
                s.initCause(e);
                throw s;
            }
            return running;
        } catch (IOException | RuntimeException e) {
            if (overlay != null) {
                overlay.close();
            }
            top.close();
            throw e;
        }
    }

    private static String probe(Path image, Map<String, BlockDriver> byFormat) throws IOException {
        if (!Files.exists(image)) {
            throw new NoSuchFileException(image.toString(), null, "no such image file");
        }
        if (!Files.isRegularFile(image) && !Files.isReadable(image)) {
            throw new IOException("'" + image + "' is not a readable file");
        }
        byte[] head = new byte[512];
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.READ)) {
            c.read(ByteBuffer.wrap(head), 0);
        }
        return byFormat.values().stream().filter(d -> !d.format().equals("raw") && d.probe(head))
                .map(BlockDriver::format).findFirst().orElse("raw");
    }

    private record Running(NbdServer server, BlockNode top, BlockNode overlay, BlockNode node, String format,
            boolean readOnly, CountDownLatch ended) implements Serving {
        /** Ends the server after the last client when not persistent; reports clients on stderr when verbose. */
        NbdServer.ClientListener listener(boolean persistent, boolean verbose) {
            return new NbdServer.ClientListener() {
                @Override
                public void connected(String remote, int clients) {
                    if (verbose) {
                        System.err.println("nbd: client connected (" + remote + "), " + clients + " connected");
                    }
                }

                @Override
                public void closed(String remote, boolean negotiated, int clients) {
                    if (verbose) {
                        System.err.println("nbd: client disconnected (" + remote + "), " + clients + " connected");
                    }
                    if (!persistent && negotiated && clients == 0) {
                        ended.countDown();
                    }
                }
            };
        }

        @Override
        public SocketAddress address() {
            return server.address();
        }

        @Override
        public long size() {
            return node.size();
        }

        @Override
        public void awaitEnd() throws InterruptedException {
            ended.await();
        }

        @Override
        public synchronized void close() {
            if (!server.running()) {
                return;
            }
            server.stop();
            for (BlockNode n : overlay != null ? List.of(overlay, top) : List.of(top)) {
                try {
                    n.close();
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(StandaloneServer.class).warn("closing {}: {}", n.name(), e.getMessage());
                }
            }
            ended.countDown();
        }
    }
}
