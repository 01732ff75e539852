package org.machina.nbd.qmp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.machina.api.block.BlockNode;
import org.machina.api.block.Freezable;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.api.BlockNodeRegistry;
import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The exports the NBD monitor commands made: export name, block export id, node, mode, and the frozen
 * view a {@code "frozen": true} export owns (closed, dropping its overlay, when the export goes).
 */
@Component(service = NbdExports.class)
public final class NbdExports {
    record Entry(String name, String id, String node, boolean writable, BlockNode frozenView) {
    }

    private final Map<String, Entry> byName = new ConcurrentHashMap<>();

    @Reference
    NbdServerService server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BlockNodeRegistry registry;

    /**
     * Exports {@code nodeName} as {@code name}; with {@code frozen}, a point-in-time view of it taken now
     * (read-only; the drive keeps taking writes).
     */
    synchronized void add(CommandContext context, String nodeName, String name, String id, boolean writable,
            boolean frozen, String description) throws MonitorException {
        if (!server.running()) {
            throw QmpArgs.error("NBD server not running");
        }
        if (frozen && writable) {
            throw QmpArgs.error("a frozen export is read-only: 'frozen' and 'writable' cannot both be true");
        }
        if (id != null && byName.values().stream().anyMatch(e -> id.equals(e.id()))) {
            throw QmpArgs.error("Block export id '" + id + "' is already in use");
        }
        if (server.exports().contains(name)) {
            throw QmpArgs.error("NBD export '" + name + "' already exists");
        }
        BlockNode node = QmpArgs.node(context, registry, nodeName);
        BlockNode view = null;
        if (frozen) {
            if (!(node instanceof Freezable f)) {
                throw QmpArgs.error("node '" + nodeName + "' (" + node.getClass().getSimpleName()
                        + ") cannot be frozen; raw and qcow2 drives can");
            }
            try {
                view = f.freeze(name);
            } catch (IOException e) {
                throw QmpArgs.error("cannot freeze '" + nodeName + "': " + e.getMessage());
            }
        }
        try {
            server.addExport(name, view != null ? view : node, !writable,
                    view != null && description.isEmpty() ? nodeName + " frozen for export" : description);
        } catch (IllegalArgumentException e) {
            close(view);
            throw QmpArgs.error(e.getMessage());
        }
        byName.put(name, new Entry(name, id != null ? id : name, nodeName, writable, view));
    }

    /** Removes an export by name (disconnecting its clients, dropping a frozen view); false if none. */
    synchronized boolean remove(String name) {
        boolean removed = server.removeExport(name);
        Entry e = byName.remove(name);
        if (e != null) {
            close(e.frozenView());
        }
        return removed || e != null;
    }

    /** The export name of a block export id, or null. */
    String nameOfId(String id) {
        return byName.values().stream().filter(e -> e.id().equals(id)).map(Entry::name).findFirst().orElse(null);
    }

    synchronized void stop() {
        server.stop();
        for (String e : server.exports()) {
            remove(e);
        }
        for (String e : List.copyOf(byName.keySet())) {
            remove(e);
        }
    }

    /** {@code query-block-exports} entries (QEMU's fields, plus name, writable and frozen). */
    List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String name : server.exports()) {
            Entry e = byName.get(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "nbd");
            m.put("id", e != null ? e.id() : name);
            m.put("node-name", e != null ? e.node() : "");
            m.put("shutting-down", false);
            m.put("name", name);
            m.put("writable", e != null && e.writable());
            m.put("frozen", e != null && e.frozenView() != null);
            out.add(m);
        }
        return out;
    }

    /** The server's state: running, and its address as a QAPI SocketAddress and an NBD URI. */
    Map<String, Object> serverInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        SocketAddress a = server.address();
        m.put("running", server.running() && a != null);
        if (a instanceof UnixDomainSocketAddress u) {
            m.put("addr", Map.of("type", "unix", "path", u.getPath().toString()));
            m.put("uri", "nbd+unix:///?socket=" + u.getPath());
        } else if (a instanceof InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            m.put("addr", Map.of("type", "inet", "host", host, "port", String.valueOf(i.getPort())));
            m.put("uri", "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + i.getPort() + "/");
        }
        m.put("exports", list());
        return m;
    }

    /**
     * Every NBD monitor command wired to {@code server} without DS, for a QMP server outside a framework
     * (tests, embedding).
     */
    public static List<org.machina.api.monitor.MonitorCommand> commands(NbdServerService server, BlockNodeRegistry registry) {
        NbdExports e = new NbdExports();
        e.server = server;
        e.registry = registry;
        NbdServerStart start = new NbdServerStart();
        start.server = server;
        NbdServerAdd add = new NbdServerAdd();
        add.exports = e;
        NbdServerRemove remove = new NbdServerRemove();
        remove.exports = e;
        NbdServerStop stop = new NbdServerStop();
        stop.server = server;
        stop.exports = e;
        BlockExportAdd bea = new BlockExportAdd();
        bea.exports = e;
        BlockExportDel bed = new BlockExportDel();
        bed.exports = e;
        QueryBlockExports q = new QueryBlockExports();
        q.exports = e;
        QueryNbdServer qs = new QueryNbdServer();
        qs.exports = e;
        return List.of(start, add, remove, stop, bea, bed, q, qs);
    }

    @Deactivate
    void deactivate() {
        for (String e : List.copyOf(byName.keySet())) {
            remove(e);
        }
    }

    private static void close(BlockNode view) {
        if (view != null) {
            try {
                view.close();
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(NbdExports.class).warn("closing frozen view {}: {}", view.name(), e.getMessage());
            }
        }
    }
}
