package org.machina.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code machina net serve}: Machina's user-mode network stack on its own, for QEMU's {@code -netdev stream}. */
@Command(name = "net", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
        description = {"User-mode networking.",
            "  machina net serve [-p PORT | -k PATH] [-o OPTIONS]   run the -netdev user stack for a -netdev stream client"})
final class NetCommand implements Runnable {
    /** Runs the stack; returns when it is to stop (process exit). */
    interface Server {
        int serve(Serve options) throws Exception;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final Supplier<Server> server;

    NetCommand(Supplier<Server> server) {
        this.server = server;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed: serve");
    }

    static CommandLine commandLine(NetCommand net) {
        CommandLine cl = new CommandLine(net);
        cl.addSubcommand("serve", new Serve());
        return cl;
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run the -netdev user stack (NAT, DHCP, DNS forwarding, hostfwd) until Ctrl-C or SIGTERM,",
                "speaking QEMU's -netdev stream framing (4-byte big-endian length, then the Ethernet frame) to one",
                "client at a time. Prints 'listening on ADDRESS' when ready."},
            footer = {"", "Examples:",
                "  machina net serve -p 10111 -o 'hostfwd=tcp::2222-:22,dns-upstream=127.0.0.1:5353'",
                "  qemu-system-x86_64 ... -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=10111 \\",
                "      -device e1000,netdev=n0",
                "  machina net serve -k /tmp/net.sock   # qemu: addr.type=unix,addr.path=/tmp/net.sock"})
    static final class Serve implements Callable<Integer> {
        @CommandLine.ParentCommand
        NetCommand parent;

        @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "10111",
                description = "TCP port (default ${DEFAULT-VALUE}; 0 for any free port)")
        int port;

        @Option(names = {"-b", "--bind"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "address to listen on (default ${DEFAULT-VALUE})")
        String bind;

        @Option(names = {"-k", "--socket"}, paramLabel = "PATH", description = "listen on a Unix socket instead of TCP")
        Path socket;

        @Option(names = {"-o", "--netdev"}, paramLabel = "OPTIONS", defaultValue = "",
                description = "-netdev user options in QEMU's spelling, e.g. net=10.0.2.0/24,hostfwd=tcp::2222-:22,restrict=on;"
                        + " dns-upstream=IP[:PORT] sets where DNS queries go (default: the host's resolver)")
        String netdev;

        @Override
        public Integer call() throws Exception {
            if (port < 0 || port > 65535) {
                throw new CliException(CliException.USAGE, "--port must be from 0 to 65535");
            }
            Server s;
            try {
                s = parent.server.get();
            } catch (NoClassDefFoundError e) {
                throw new CliException(CliException.FAILURE, "this distribution has no user-mode network (bundle org.machina.net-user)");
            }
            return s.serve(this);
        }
    }
}
