package org.machina.net.socket;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A QEMU {@code SocketAddress} given as dotted options ({@code addr.type=inet,addr.host=H,addr.port=P},
 * {@code addr.type=unix,addr.path=P}; the prefix is {@code addr}, {@code local} or {@code remote}).
 * Types {@code fd} and {@code vsock} are refused; so are {@code abstract=on} and {@code mptcp=on}.
 */
sealed interface Endpoint {
    /** A TCP/UDP address: host and port, {@code to} the last port a server may try (0: only {@code port}). */
    record Inet(String host, int port, int to, boolean keepAlive, boolean ipv4, boolean ipv6, boolean numeric) implements Endpoint {
        /** The host resolved as {@code ipv4=}/{@code ipv6=} allow. */
        InetSocketAddress resolve(int p) throws IOException {
            InetAddress[] all = numeric ? new InetAddress[] {literal(host)} : InetAddress.getAllByName(host);
            for (InetAddress a : all) {
                if ((a instanceof Inet4Address && ipv4) || (a instanceof Inet6Address && ipv6)) {
                    return new InetSocketAddress(a, p);
                }
            }
            throw new IOException("'" + host + "' has no " + (ipv4 ? "IPv4" : "IPv6") + " address");
        }

        private static InetAddress literal(String host) throws IOException {
            try {
                return InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException e) {
                throw new IOException("numeric=on: '" + host + "' is not an IP address literal");
            }
        }

        @Override
        public String toString() {
            return "tcp:" + host + ":" + port;
        }
    }

    /** A Unix socket path. */
    record Unix(Path path) implements Endpoint {
        SocketAddress address() {
            return UnixDomainSocketAddress.of(path);
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /**
     * Takes the {@code PREFIX.*} options out of {@code opts} (a mutable map).
     *
     * @return the endpoint, or {@code null} if there is no {@code PREFIX.type}
     * @throws IllegalArgumentException naming the option that is wrong
     */
    static Endpoint take(String prefix, Map<String, String> opts) {
        String type = opts.remove(prefix + ".type");
        Map<String, String> sub = new java.util.LinkedHashMap<>();
        for (String k : new ArrayList<>(opts.keySet())) {
            if (k.startsWith(prefix + ".")) {
                sub.put(k.substring(prefix.length() + 1), opts.remove(k));
            }
        }
        if (type == null) {
            if (!sub.isEmpty()) {
                throw new IllegalArgumentException("'" + prefix + "." + sub.keySet().iterator().next() + "' needs '" + prefix
                        + ".type=inet' or '" + prefix + ".type=unix'");
            }
            return null;
        }
        Endpoint e = switch (type) {
            case "inet" -> {
                String host = required(prefix, "host", sub);
                int port = port(prefix + ".port", required(prefix, "port", sub));
                String to = sub.remove("to");
                int last = to == null ? 0 : port(prefix + ".to", to);
                if (to != null && last < port) {
                    throw new IllegalArgumentException("'" + prefix + ".to=" + to + "' is below the port " + port);
                }
                boolean keepAlive = bool(prefix + ".keep-alive", sub.remove("keep-alive"), false);
                boolean numeric = bool(prefix + ".numeric", sub.remove("numeric"), false);
                if (bool(prefix + ".mptcp", sub.remove("mptcp"), false)) {
                    throw new IllegalArgumentException("'" + prefix + ".mptcp=on' is not supported");
                }
                String v4 = sub.remove("ipv4");
                String v6 = sub.remove("ipv6");
                // QEMU: with neither given, both families; giving one "on" alone means only that one
                boolean ipv4 = v4 != null ? bool(prefix + ".ipv4", v4, true) : v6 == null || !bool(prefix + ".ipv6", v6, true);
                boolean ipv6 = v6 != null ? bool(prefix + ".ipv6", v6, true) : v4 == null || !bool(prefix + ".ipv4", v4, true);
                if (!ipv4 && !ipv6) {
                    throw new IllegalArgumentException("'" + prefix + ".ipv4=off' and '" + prefix + ".ipv6=off' leave no address family");
                }
                yield new Inet(host, port, last, keepAlive, ipv4, ipv6, numeric);
            }
            case "unix" -> {
                String path = required(prefix, "path", sub);
                if (bool(prefix + ".abstract", sub.remove("abstract"), false)) {
                    throw new IllegalArgumentException("'" + prefix + ".abstract=on' (Linux abstract sockets) is not supported");
                }
                bool(prefix + ".tight", sub.remove("tight"), true); // only matters for abstract sockets
                yield new Unix(Path.of(path));
            }
            case "fd", "vsock" -> throw new IllegalArgumentException("'" + prefix + ".type=" + type
                    + "' is not supported; use inet or unix");
            default -> throw new IllegalArgumentException("'" + prefix + ".type=" + type + "': expected inet or unix");
        };
        if (!sub.isEmpty()) {
            throw new IllegalArgumentException("unknown option '" + prefix + "." + sub.keySet().iterator().next() + "' for "
                    + prefix + ".type=" + type + "; accepted: " + String.join(", ", accepted(prefix, type)));
        }
        return e;
    }

    private static Set<String> accepted(String prefix, String type) {
        List<String> keys = type.equals("inet") ? List.of("host", "port", "to", "numeric", "keep-alive", "ipv4", "ipv6")
                : List.of("path", "tight");
        Set<String> s = new TreeSet<>();
        keys.forEach(k -> s.add(prefix + "." + k));
        return s;
    }

    private static String required(String prefix, String key, Map<String, String> sub) {
        String v = sub.remove(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("missing '" + prefix + "." + key + "'");
        }
        return v;
    }

    static int port(String name, String v) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + name + "=" + v + "': expected a port number 0..65535");
    }

    /** QEMU's boolean spellings. */
    static boolean bool(String name, String v, boolean dflt) {
        if (v == null) {
            return dflt;
        }
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new IllegalArgumentException("'" + name + "=" + v + "': expected on or off");
        };
    }

    /** {@code [HOST]:PORT} as the older {@code -netdev socket} takes it; an empty host is {@code emptyHost}. */
    static Inet hostPort(String name, String v, String emptyHost) {
        int colon = v.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + name + "=" + v + "': expected [HOST]:PORT");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            if (emptyHost == null) {
                throw new IllegalArgumentException("'" + name + "=" + v + "': the host is missing");
            }
            host = emptyHost;
        }
        return new Inet(host, port(name, v.substring(colon + 1)), 0, false, true, true, false);
    }

    /** Refuses what is left in {@code opts}. */
    static void noneLeft(String kind, Map<String, String> opts, String accepted) {
        if (!opts.isEmpty()) {
            throw new IllegalArgumentException("unknown option '" + opts.keySet().iterator().next() + "' for -netdev " + kind
                    + "; accepted: " + accepted);
        }
    }
}
