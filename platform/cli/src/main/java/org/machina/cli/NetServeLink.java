package org.machina.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.machina.net.user.api.NetStandalone;
import org.osgi.framework.BundleContext;

/**
 * {@code machina net serve} on the net-user bundle's {@link NetStandalone} service (API package
 * {@code org.machina.net.user.api}, imported optionally: without the bundle, loading this class fails
 * and the command says the distribution has no user-mode network).
 */
final class NetServeLink implements NetCommand.Server {
    private final Supplier<NetStandalone> service;

    NetServeLink(Supplier<NetStandalone> service) {
        this.service = service;
    }

    static NetServeLink fromFramework(BundleContext context) {
        return new NetServeLink(() -> ServiceWait.await(context, NetStandalone.class,
                "user-mode network service", "'net serve' needs the org.machina.net-user bundle"));
    }

    @Override
    public int serve(NetCommand.Serve o) throws Exception {
        SocketAddress addr = ListenAddress.of(o.socket, o.bind, o.port);
        NetStandalone.Serving serving;
        try {
            serving = service.get().serve(new NetStandalone.Options(options(o.netdev), addr));
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, e.getMessage());
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("machina: net serve: " + serving.statistics());
            serving.close();
            stopped.countDown();
        }, "net-serve-shutdown"));
        for (InetSocketAddress f : serving.tcpForwards()) {
            System.err.println("machina: hostfwd listening on " + f.getAddress().getHostAddress() + ":" + f.getPort());
        }
        System.out.println("listening on " + describe(serving.address()));
        System.out.flush();
        stopped.await();
        return 0;
    }

    static String describe(SocketAddress a) {
        if (a instanceof UnixDomainSocketAddress u) {
            return "unix:" + u.getPath();
        }
        InetSocketAddress i = (InetSocketAddress) a;
        return "tcp:" + i.getAddress().getHostAddress() + ":" + i.getPort();
    }

    /** {@code key=value,...} (an optional leading {@code user,}); hostfwd may repeat; ",," is a literal comma. */
    static Map<String, String> options(String spec) {
        Map<String, String> m = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return m;
        }
        String s = spec.equals("user") ? "" : spec.startsWith("user,") ? spec.substring(5) : spec;
        for (String part : s.replace(",,", "\u0000").split(",")) {
            part = part.replace('\u0000', ',');
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new CliException(CliException.USAGE, "-o: '" + part + "' is not KEY=VALUE");
            }
            String k = part.substring(0, eq);
            if (k.equals("id")) {
                continue;
            }
            m.merge(k, part.substring(eq + 1), (a, b) -> k.equals("hostfwd") || k.equals("guestfwd") ? a + "\n" + b : b);
        }
        return m;
    }
}
