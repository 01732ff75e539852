package org.machina.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;
import org.machina.nbd.api.NbdStandalone;
import org.osgi.framework.BundleContext;

/**
 * {@code machina nbd serve} on the nbd-server bundle's {@link NbdStandalone} service (API package
 * {@code org.machina.nbd.api}, imported optionally: without the bundle, loading this class fails and the
 * command says the distribution has no NBD server).
 */
final class NbdServeLink implements NbdCommand.Server {
    private final Supplier<NbdStandalone> service;

    NbdServeLink(Supplier<NbdStandalone> service) {
        this.service = service;
    }

    /** The service from the framework, waiting a little for DS to publish it. */
    static NbdServeLink fromFramework(BundleContext context) {
        return new NbdServeLink(() -> ServiceWait.await(context, NbdStandalone.class,
                "NBD server service", "'nbd serve' needs the org.machina.nbd-server and block bundles"));
    }

    @Override
    public int serve(NbdServe o, NbdServe.Resolved r) throws Exception {
        SocketAddress addr = ListenAddress.of(o.socket, o.bind, o.port);
        NbdStandalone.Io io = new NbdStandalone.Io(NbdStandalone.Cache.valueOf(r.cache().toUpperCase(Locale.ROOT)), r.discard(),
                NbdStandalone.DetectZeroes.valueOf(r.detectZeroes().toUpperCase(Locale.ROOT)));
        NbdStandalone.Serving serving;
        try {
            serving = service.get().serve(new NbdStandalone.Options(r.image(), r.format(), r.readOnly(), addr, o.exportName,
                    o.backing, o.shared, o.description == null ? "" : o.description, o.persistent, o.snapshot, o.offset, o.allocationDepth, io,
                    o.verbose));
        } catch (NoSuchFileException e) {
            throw new CliException(CliException.USAGE, "'" + e.getFile() + "': no such image file"
                    + (e.getReason() != null && !e.getReason().equals("no such image file") ? " (" + e.getReason() + ")" : ""));
        } catch (SocketException e) {
            throw new CliException(CliException.FAILURE, e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, e.getMessage());
        }
        Thread hook = new Thread(() -> {
            serving.close();
            if (o.pidFile != null) {
                removePidFile(o.pidFile);
            }
        }, "nbd-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("machina: serving %s (%s, %d bytes%s%s%s)%n", r.image(), serving.format(), serving.size(),
                serving.readOnly() ? ", read-only" : "", o.backing > 0 ? ", backing file " + o.backing : "",
                o.snapshot ? ", writes to a throw-away overlay" : "");
        if (o.pidFile != null) {
            writePidFile(o.pidFile, serving);
        }
        System.out.println("listening on " + uri(serving.address(), o.exportName));
        System.out.flush();
        serving.awaitEnd();
        serving.close();
        if (o.pidFile != null) {
            removePidFile(o.pidFile);
        }
        return 0;
    }

    private static void writePidFile(Path file, NbdStandalone.Serving serving) {
        try {
            Files.writeString(file, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            serving.close();
            throw new CliException(CliException.FAILURE, "--pid-file " + file + ": cannot write it: " + e);
        }
    }

    /** Removes the pid file if it still names this process. */
    private static void removePidFile(Path file) {
        try {
            if (Files.readString(file).trim().equals(String.valueOf(ProcessHandle.current().pid()))) {
                Files.delete(file);
            }
        } catch (IOException e) {
            // gone or replaced: not ours to remove
        }
    }

    static String uri(SocketAddress a, String export) {
        if (a instanceof UnixDomainSocketAddress u) {
            return "nbd+unix:///" + export + "?socket=" + u.getPath();
        }
        InetSocketAddress i = (InetSocketAddress) a;
        String host = i.getAddress().getHostAddress();
        return "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + i.getPort() + "/" + export;
    }
}
