package org.machina.nbd.qmp;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Map;
import org.machina.api.block.BlockNode;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorException;
import org.machina.api.monitor.MonitorException.ErrorClass;
import org.machina.nbd.api.BlockNodeRegistry;

/** Argument helpers shared by the NBD QMP commands. */
final class QmpArgs {
    private QmpArgs() {
    }

    static MonitorException error(String m) {
        return new MonitorException(ErrorClass.GenericError, m);
    }

    static String optString(Map<String, Object> args, String name, String dflt) throws MonitorException {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw error("Invalid parameter type for '" + name + "', expected: string");
    }

    static boolean optBool(Map<String, Object> args, String name, boolean dflt) throws MonitorException {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw error("Invalid parameter type for '" + name + "', expected: boolean");
    }

    /**
     * A QAPI socket address: {@code {"type":"inet","host":..,"port":..}} or {@code {"type":"unix","path":..}},
     * flat or in the legacy form with a {@code data} member.
     */
    @SuppressWarnings("unchecked")
    static SocketAddress address(Object addr) throws MonitorException {
        if (!(addr instanceof Map<?, ?> m)) {
            throw error("Parameter 'addr' is missing or not an object");
        }
        Map<String, Object> a = (Map<String, Object>) m;
        Map<String, Object> d = a.get("data") instanceof Map<?, ?> data ? (Map<String, Object>) data : a;
        String type = optString(a, "type", "inet");
        switch (type) {
            case "inet" -> {
                String host = optString(d, "host", "127.0.0.1");
                Object p = d.get("port");
                int port;
                try {
                    port = p instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(p));
                } catch (NumberFormatException e) {
                    throw error("addr.port '" + p + "' is not a port number");
                }
                return new InetSocketAddress(host, port);
            }
            case "unix" -> {
                return UnixDomainSocketAddress.of(optString(d, "path", null) == null
                        ? missing("addr.path") : optString(d, "path", null));
            }
            default -> throw error("addr.type '" + type + "' unsupported (accepted: inet, unix)");
        }
    }

    private static String missing(String name) throws MonitorException {
        throw error("Parameter '" + name + "' is missing");
    }

    /**
     * Resolves a block node: first among the drives of the monitor's machine ({@code Machine.drives()}),
     * then through the optional registry service.
     */
    static BlockNode node(CommandContext context, BlockNodeRegistry registry, String nodeName) throws MonitorException {
        Map<String, BlockNode> drives = context.machine().map(m -> m.drives()).orElse(Map.of());
        BlockNode d = drives.get(nodeName);
        if (d != null) {
            return d;
        }
        if (registry == null && !drives.isEmpty()) {
            throw new MonitorException(ErrorClass.DeviceNotFound, "Cannot find device='" + nodeName + "' nor node-name='"
                    + nodeName + "' (known: " + new java.util.TreeSet<>(drives.keySet()) + ")");
        }
        if (registry == null) {
            throw error("no block nodes are available (no machine with disks is running)");
        }
        return registry.find(nodeName).orElseThrow(() -> new MonitorException(ErrorClass.DeviceNotFound,
                "Cannot find device='" + nodeName + "' nor node-name='" + nodeName + "' (known: " + registry.names() + ")"));
    }
}
