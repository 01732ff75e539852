package org.machina.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code machina nbd serve IMAGE}: a standalone NBD server taking {@code qemu-nbd}'s command line. Every
 * qemu-nbd option whose meaning maps is accepted with qemu-nbd's semantics; the others are parsed (so
 * that the error names them, not their argument) and refused with the reason.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve an image file over NBD, like qemu-nbd: its options, spelling and meaning.",
            "Prints 'listening on URI' when ready. As qemu-nbd, it exits once a client has",
            "opened the export and none is left, unless -t; Ctrl-C or SIGTERM stop it.",
            "A missing or unreadable image, like any usage error, is exit status 2."},
        footer = {"", "Refused (named in the error, exit status 2): " + NbdServe.REFUSED_LIST, "",
            "Examples:", "  machina nbd serve disk.qcow2 -k /tmp/disk.sock -r",
            "  nbdinfo 'nbd+unix:///?socket=/tmp/disk.sock'",
            "  machina nbd serve -t -s -p 10810 disk.qcow2     # writes go to a scratch overlay",
            "  machina nbd serve --fork -k /tmp/d.sock disk.raw # returns once listening",
            "  machina nbd serve top.qcow2 --backing -p 10810   # the backing file, read-only"})
final class NbdServe implements Callable<Integer> {
    static final String REFUSED_LIST = "-B/--bitmap, -l/--load-snapshot, --object, -T/--trace,"
            + " --tls-creds, --tls-authz, --tls-hostname, --selinux-label, -L/--list, -c/--connect, -d/--disconnect.";

    @ParentCommand
    NbdCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "the image file (with --image-opts: its options)")
    String image;

    @Option(names = {"-f", "--format"}, paramLabel = "FMT", description = "raw or qcow2 (default: probe the file)")
    String format;

    @Option(names = {"-r", "--read-only"}, description = "export read-only")
    boolean readOnly;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "10809",
            description = "TCP port (default ${DEFAULT-VALUE}; 0 for any free port)")
    int port;

    @Option(names = {"-b", "--bind"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on (default ${DEFAULT-VALUE}; qemu-nbd's is 0.0.0.0)")
    String bind;

    @Option(names = {"-k", "--socket"}, paramLabel = "PATH", description = "listen on a Unix socket instead of TCP")
    Path socket;

    @Option(names = {"-x", "--export-name"}, paramLabel = "NAME", defaultValue = "",
            description = "export name (default: empty)")
    String exportName;

    @Option(names = {"-D", "--description"}, paramLabel = "TEXT", description = "export description clients can read")
    String description;

    @Option(names = {"-e", "--shared"}, paramLabel = "N", defaultValue = "1",
            description = "clients served at once (default ${DEFAULT-VALUE}, 0 for no limit); over 1 allows multi-conn")
    int shared;

    @Option(names = {"-t", "--persistent"}, description = "don't exit when the last client leaves")
    boolean persistent;

    @Option(names = {"-s", "--snapshot"}, description = "serve a throw-away overlay: writes never reach IMAGE")
    boolean snapshot;

    @Option(names = {"-o", "--offset"}, paramLabel = "OFFSET", defaultValue = "0", description = "serve IMAGE from this byte on")
    long offset;

    @Option(names = {"-A", "--allocation-depth"}, description = "offer the qemu:allocation-depth context (which file of the chain holds a range)")
    boolean allocationDepth;

    @Option(names = "--backing", paramLabel = "N", arity = "0..1", fallbackValue = "1", defaultValue = "0",
            description = "serve the Nth backing file of the chain instead (1 if no N), read-only (Machina)")
    int backing;

    @Option(names = {"-n", "--nocache"}, description = "same as --cache=none")
    boolean nocache;

    @Option(names = "--cache", paramLabel = "MODE",
            description = "none, writeback (default), writethrough, directsync or unsafe (the host page cache is never bypassed)")
    String cache;

    @Option(names = "--aio", paramLabel = "MODE", description = "threads, native or io_uring (accepted; Machina has one I/O path)")
    String aio;

    @Option(names = "--discard", paramLabel = "MODE", description = "ignore (default) or unmap: pass discards on to the image")
    String discard;

    @Option(names = "--detect-zeroes", paramLabel = "MODE", description = "off (default), on or unmap: all-zero writes become write-zeroes")
    String detectZeroes;

    @Option(names = "--image-opts", description = "IMAGE is driver=FMT,file.filename=PATH[,read-only=on,...]")
    boolean imageOpts;

    @Option(names = "--fork", description = "run in the background; return once the server is listening")
    boolean fork;

    @Option(names = "--pid-file", paramLabel = "PATH", description = "write the server's process id here once listening")
    Path pidFile;

    @Option(names = {"-v", "--verbose"}, description = "report clients connecting and leaving on stderr")
    boolean verbose;

    // qemu-nbd options Machina refuses: parsed so that the error names them

    @Option(names = {"-B", "--bitmap"}, hidden = true)
    List<String> bitmap;

    @Option(names = {"-l", "--load-snapshot"}, hidden = true)
    String loadSnapshot;

    @Option(names = "--object", hidden = true)
    List<String> object;

    @Option(names = {"-T", "--trace"}, hidden = true)
    String trace;

    @Option(names = "--tls-creds", hidden = true)
    String tlsCreds;

    @Option(names = "--tls-authz", hidden = true)
    String tlsAuthz;

    @Option(names = "--tls-hostname", hidden = true)
    String tlsHostname;

    @Option(names = "--selinux-label", hidden = true)
    String selinuxLabel;

    @Option(names = {"-L", "--list"}, hidden = true)
    boolean list;

    @Option(names = {"-c", "--connect"}, hidden = true)
    String connect;

    @Option(names = {"-d", "--disconnect"}, hidden = true)
    boolean disconnect;

    /** The image and its settings after {@code --image-opts}, {@code -n} and {@code --cache} are applied. */
    record Resolved(Path image, String format, boolean readOnly, String cache, boolean discard, String detectZeroes) {
    }

    @Override
    public Integer call() throws Exception {
        if (parent.name != null) {
            throw new CliException(CliException.USAGE, "'machina nbd serve IMAGE' takes no instance name (got '"
                    + parent.name + "'); for an instance use 'machina nbd " + parent.name + " start|add|...'");
        }
        Resolved r = resolve();
        if (fork) {
            return NbdFork.run(spec.root().commandLine().getParseResult().originalArgs());
        }
        NbdCommand.Server s;
        try {
            s = parent.server.get();
        } catch (NoClassDefFoundError e) {
            throw new CliException(CliException.FAILURE, "this distribution has no NBD server (bundle org.machina.nbd-server)");
        }
        return s.serve(this, r);
    }

    /** Checks the options (exit status 2 naming the option) and folds them into one set of settings. */
    Resolved resolve() {
        refuseUnsupported();
        if (shared < 0 || backing < 0 || port < 0 || port > 65535 || offset < 0) {
            throw usage("--shared, --backing, --offset and --port must not be negative (and a port is at most 65535)");
        }
        if (nocache && cache != null) {
            throw usage("-n and --cache can only be specified once (-n is --cache=none)");
        }
        String cacheMode = nocache ? "none" : cache == null ? "writeback" : cache;
        oneOf("--cache", cacheMode, Set.of("none", "writeback", "writethrough", "directsync", "unsafe"));
        if (aio != null) {
            oneOf("--aio", aio, Set.of("threads", "native", "io_uring"));
            if (aio.equals("native") && !cacheMode.equals("none") && !cacheMode.equals("directsync")) {
                throw usage("--aio=native needs --cache=none or --cache=directsync (as in qemu-nbd)");
            }
        }
        Path file = Path.of(image);
        String fmt = format;
        boolean ro = readOnly;
        String discardMode = discard;
        String zeroes = detectZeroes;
        if (imageOpts) {
            if (format != null) {
                throw usage("--image-opts and -f/--format are mutually exclusive (give driver= in the image options)");
            }
            NbdImageOpts o = NbdImageOpts.parse(image);
            file = o.file();
            fmt = o.format();
            if (o.readOnly() && !readOnly) {
                throw usage("--image-opts read-only=on needs -r/--read-only too (qemu-nbd refuses it the same way)");
            }
            if (o.cache() != null) {
                cacheMode = o.cache();
            }
            discardMode = discardMode == null ? o.discard() : discardMode;
            zeroes = zeroes == null ? o.detectZeroes() : zeroes;
        }
        boolean unmap = false;
        if (discardMode != null) {
            oneOf("--discard", discardMode, Set.of("ignore", "off", "unmap", "on"));
            unmap = discardMode.equals("unmap") || discardMode.equals("on");
        }
        String dz = zeroes == null ? "off" : zeroes;
        oneOf("--detect-zeroes", dz, Set.of("off", "on", "unmap"));
        if (dz.equals("unmap") && !unmap) {
            throw usage("--detect-zeroes=unmap needs --discard=unmap (as in qemu-nbd)");
        }
        return new Resolved(file, fmt, ro, cacheMode, unmap, dz);
    }

    private void refuseUnsupported() {
        refuse(bitmap != null, "-B/--bitmap", "persistent dirty bitmaps are not supported by Machina's block layer");
        refuse(loadSnapshot != null, "-l/--load-snapshot", "loading internal qcow2 snapshots is not supported by Machina's"
                + " block layer (it lists them only)");
        refuse(object != null, "--object", "there are no QEMU objects (secrets, TLS credentials) in Machina");
        refuse(trace != null, "-T/--trace", "Machina has no QEMU trace events; use -v, or MACHINA_LOG=debug");
        String noTls = "TLS is not supported (serve on 127.0.0.1 or a Unix socket)";
        refuse(tlsCreds != null, "--tls-creds", noTls);
        refuse(tlsAuthz != null, "--tls-authz", noTls);
        refuse(tlsHostname != null, "--tls-hostname", noTls);
        refuse(selinuxLabel != null, "--selinux-label", "SELinux labels are not supported");
        refuse(list, "-L/--list", "listing another server's exports is a client's job: use 'nbdinfo --list URI'");
        refuse(connect != null || disconnect, connect != null ? "-c/--connect" : "-d/--disconnect",
                "the kernel NBD client (/dev/nbdN) is not driven by Machina: use 'nbd-client' or 'nbdfuse'");
    }

    private static void refuse(boolean given, String option, String why) {
        if (given) {
            throw usage(option + " is not supported: " + why);
        }
    }

    private static void oneOf(String option, String value, Set<String> accepted) {
        if (!accepted.contains(value)) {
            throw usage(option + " '" + value + "': invalid (accepted: " + String.join(", ", new java.util.TreeSet<>(accepted)) + ")");
        }
    }

    private static CliException usage(String message) {
        return new CliException(CliException.USAGE, "nbd serve: " + message);
    }

    /**
     * Usage errors of {@code nbd serve} as one line naming the option, printed once (no usage dump; the
     * help is one {@code --help} away). Other commands keep picocli's handling.
     */
    static void compactUsageErrors(CommandLine root) {
        CommandLine.IParameterExceptionHandler others = root.getParameterExceptionHandler();
        root.setParameterExceptionHandler((ex, args) -> {
            if (!(ex.getCommandLine().getCommandSpec().userObject() instanceof NbdServe)) {
                return others.handleParseException(ex, args);
            }
            String m = ex.getMessage();
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
                String a = u.getUnmatched().getFirst();
                m = a.startsWith("-") ? "unknown option '" + a + "'" : "unexpected argument '" + a + "'";
            }
            ex.getCommandLine().getErr().println("machina: nbd serve: " + m + " (see 'machina nbd serve --help')");
            return CliException.USAGE;
        });
    }
}
