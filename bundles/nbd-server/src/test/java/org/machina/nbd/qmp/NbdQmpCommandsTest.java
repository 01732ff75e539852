package org.machina.nbd.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.NbdServer;
import org.machina.nbd.api.BlockNodeRegistry;

/** The QMP commands drive the server like QEMU's do, with errors a QMP client can show. */
class NbdQmpCommandsTest {
    @TempDir
    Path dir;

    static final CommandContext CTX = new CommandContext() {
        @Override
        public Optional<Machine> machine() {
            return Optional.empty();
        }

        @Override
        public void emitEvent(String event, Map<String, Object> data) {
        }
    };

    /** A 1 MiB in-memory disk. */
    static BlockNode memoryDisk(String name) {
        byte[] data = new byte[1 << 20];
        return new BlockNode() {
            public String name() {
                return name;
            }

            public long size() {
                return data.length;
            }

            public boolean readOnly() {
                return false;
            }

            public void read(long offset, ByteBuffer dst) {
                dst.put(data, (int) offset, dst.remaining());
            }

            public void write(long offset, ByteBuffer src) {
                src.get(data, (int) offset, src.remaining());
            }

            public void flush() {
            }

            public void close() {
            }
        };
    }

    static NbdExports exports(NbdServer server) {
        NbdExports e = new NbdExports();
        e.server = server;
        return e;
    }

    @Test
    void startAddRemoveStopAndBlockExports() throws Exception {
        NbdServer server = new NbdServer();
        BlockNode disk = memoryDisk("disk0");
        BlockNodeRegistry registry = new BlockNodeRegistry() {
            public Optional<BlockNode> find(String n) {
                return n.equals("disk0") ? Optional.of(disk) : Optional.empty();
            }

            public Set<String> names() {
                return Set.of("disk0");
            }
        };
        NbdExports exports = exports(server);
        NbdServerStart start = new NbdServerStart();
        start.server = server;
        NbdServerAdd add = new NbdServerAdd();
        add.exports = exports;
        NbdServerRemove remove = new NbdServerRemove();
        remove.exports = exports;
        NbdServerStop stop = new NbdServerStop();
        stop.server = server;
        stop.exports = exports;
        BlockExportAdd bea = new BlockExportAdd();
        bea.exports = exports;
        BlockExportDel bed = new BlockExportDel();
        bed.exports = exports;
        QueryBlockExports query = new QueryBlockExports();
        query.exports = exports;

        MonitorException e = assertThrows(MonitorException.class, () -> add.execute(CTX, Map.of("device", "disk0")));
        assertTrue(e.getMessage().contains("not running"), e.getMessage());

        start.execute(CTX, Map.of("addr", Map.of("type", "inet", "data", Map.of("host", "127.0.0.1", "port", "0"))));
        assertTrue(server.running());
        assertInstanceOf(InetSocketAddress.class, server.address());
        e = assertThrows(MonitorException.class, () -> start.execute(CTX, Map.of("addr", Map.of("type", "inet", "port", 0))));
        assertTrue(e.getMessage().contains("already running"));

        e = assertThrows(MonitorException.class, () -> add.execute(CTX, Map.of("device", "disk0")));
        assertTrue(e.getMessage().contains("no block nodes"), e.getMessage());
        exports.registry = registry;
        add.execute(CTX, Map.of("device", "disk0", "writable", true));
        e = assertThrows(MonitorException.class, () -> add.execute(CTX, Map.of("device", "nope")));
        assertEquals(MonitorException.ErrorClass.DeviceNotFound, e.errorClass());
        assertTrue(e.getMessage().contains("disk0"), "lists known nodes: " + e.getMessage());
        e = assertThrows(MonitorException.class, () -> add.execute(CTX, Map.of("device", "disk0")));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(Set.of("disk0"), server.exports());

        bea.execute(CTX, Map.of("type", "nbd", "id", "exp1", "node-name", "disk0", "name", "ro-view"));
        assertEquals(Set.of("disk0", "ro-view"), server.exports());
        assertEquals(List.of(
                Map.of("type", "nbd", "id", "disk0", "node-name", "disk0", "shutting-down", false, "name", "disk0",
                        "writable", true, "frozen", false),
                Map.of("type", "nbd", "id", "exp1", "node-name", "disk0", "shutting-down", false, "name", "ro-view",
                        "writable", false, "frozen", false)), query.execute(CTX, Map.of()));
        e = assertThrows(MonitorException.class, () -> bea.execute(CTX, Map.of("type", "nbd", "id", "exp1", "node-name", "disk0",
                "name", "other")));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        e = assertThrows(MonitorException.class, () -> bea.execute(CTX, Map.of("type", "nbd", "id", "exp2", "node-name", "disk0", "name", "fz",
                "frozen", true)));
        assertTrue(e.getMessage().contains("cannot be frozen"), e.getMessage());
        e = assertThrows(MonitorException.class, () -> add.execute(CTX, Map.of("device", "disk0", "name", "fw",
                "frozen", true, "writable", true)));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        e = assertThrows(MonitorException.class, () -> bea.execute(CTX, Map.of("type", "vhost-user-blk", "id", "x", "node-name", "disk0")));
        assertTrue(e.getMessage().contains("accepted: nbd"));
        bed.execute(CTX, Map.of("id", "exp1"));
        assertEquals(Set.of("disk0"), server.exports());
        assertThrows(MonitorException.class, () -> bed.execute(CTX, Map.of("id", "exp1")));

        remove.execute(CTX, Map.of("name", "disk0"));
        assertTrue(server.exports().isEmpty());
        e = assertThrows(MonitorException.class, () -> remove.execute(CTX, Map.of("name", "disk0")));
        assertTrue(e.getMessage().contains("not found"));

        stop.execute(CTX, Map.of());
        assertFalse(server.running());
        assertThrows(MonitorException.class, () -> stop.execute(CTX, Map.of()));
    }

    @Test
    void nodesComeFromTheMachinesDrives() throws Exception {
        BlockNode disk = memoryDisk("hd0");
        Machine machine = (Machine) java.lang.reflect.Proxy.newProxyInstance(Machine.class.getClassLoader(),
                new Class<?>[] {Machine.class}, (proxy, method, args) -> method.getName().equals("drives")
                        ? Map.of("hd0", disk) : null);
        CommandContext ctx = new CommandContext() {
            @Override
            public Optional<Machine> machine() {
                return Optional.of(machine);
            }

            @Override
            public void emitEvent(String event, Map<String, Object> data) {
            }
        };
        NbdServer server = new NbdServer();
        server.start(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        try {
            NbdServerAdd add = new NbdServerAdd();
            add.exports = exports(server);
            add.execute(ctx, Map.of("device", "hd0", "name", "guest-disk"));
            assertEquals(Set.of("guest-disk"), server.exports());
            MonitorException e = assertThrows(MonitorException.class, () -> add.execute(ctx, Map.of("device", "hd9")));
            assertEquals(MonitorException.ErrorClass.DeviceNotFound, e.errorClass());
            assertTrue(e.getMessage().contains("hd0"), e.getMessage());
        } finally {
            server.stop();
        }
    }

    @Test
    void unixAddressesAndBadAddresses() throws Exception {
        NbdServer server = new NbdServer();
        NbdServerStart start = new NbdServerStart();
        start.server = server;
        Path sock = dir.resolve("q.sock");
        start.execute(CTX, Map.of("addr", Map.of("type", "unix", "path", sock.toString())));
        assertEquals(UnixDomainSocketAddress.of(sock), server.address());
        server.stop();
        for (Object bad : List.of("x", Map.of("type", "vsock", "cid", "3"), Map.of("type", "inet", "port", "http"),
                Map.of("type", "unix"))) {
            assertThrows(MonitorException.class, () -> start.execute(CTX, Map.of("addr", bad)), String.valueOf(bad));
        }
        assertFalse(server.running());
    }
}
