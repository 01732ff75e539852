package org.machina.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code machina console NAME}: the instance's serial console ({@code console.sock}) on this
 * terminal. Ctrl-] detaches; the instance keeps running.
 */
@Command(name = "console", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
        description = {"Connect this terminal to a running instance's serial console.",
            "Press Ctrl-] to detach (the instance keeps running). One client at a time: a new",
            "connection replaces the old one. Everything the guest printed is also in console.log."})
final class ConsoleCommand implements Callable<Integer> {
    /** Ctrl-]: detach, as in telnet and virsh console. */
    static final int DETACH = 0x1d;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
        Instance i = Instance.existing(name);
        if (i.daemon().isEmpty()) {
            throw new CliException(CliException.WRONG_STATE, "instance '" + name + "' is not running (state: "
                    + InstanceStatus.of(i).state() + "); its past output is in " + i.consoleLog());
        }
        boolean tty = System.console() != null && System.console().isTerminal();
        String saved = tty ? stty("-g").strip() : null;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(i.consoleSocket()));
            if (tty) {
                stty("raw -echo");
            }
            System.err.print("machina: connected to " + name + "'s console; Ctrl-] detaches" + (tty ? "\r\n" : "\n"));
            InputStream fromGuest = Channels.newInputStream(ch);
            OutputStream toGuest = Channels.newOutputStream(ch);
            Thread printer = Thread.ofPlatform().daemon().name("console-out").start(() -> {
                byte[] buf = new byte[4096];
                try {
                    int n;
                    while ((n = fromGuest.read(buf)) > 0) {
                        System.out.write(buf, 0, n);
                        System.out.flush();
                    }
                } catch (IOException e) {
                    // detached or the instance ended
                }
            });
            byte[] buf = new byte[256];
            int n;
            outer:
            while (printer.isAlive() && (n = System.in.read(buf)) > 0) {
                for (int k = 0; k < n; k++) {
                    if ((buf[k] & 0xff) == DETACH) {
                        toGuest.write(buf, 0, k);
                        break outer;
                    }
                }
                toGuest.write(buf, 0, n);
            }
            System.err.print((tty ? "\r\n" : "\n") + "machina: detached from " + name + (tty ? "\r\n" : "\n"));
            return 0;
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "cannot connect to the console of '" + name + "' at "
                    + i.consoleSocket() + ": " + e.getMessage());
        } finally {
            if (saved != null) {
                stty(saved);
            }
        }
    }

    /** Runs {@code stty} on the controlling terminal; returns its output. */
    private static String stty(String args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }
}
