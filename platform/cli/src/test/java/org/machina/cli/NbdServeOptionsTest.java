package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code machina nbd serve} with qemu-nbd command lines, parsed in this JVM: what is accepted becomes the
 * settings the server gets; what is refused is exit status 2 with one line naming the option.
 */
class NbdServeOptionsTest {
    record Run(int status, String err, NbdServe serve, NbdServe.Resolved settings) {
    }

    private static Run run(String... args) {
        NbdServe[] got = new NbdServe[1];
        NbdServe.Resolved[] settings = new NbdServe.Resolved[1];
        CommandLine cl = NbdCommand.commandLine(new NbdCommand(() -> (o, r) -> {
            got[0] = o;
            settings[0] = r;
            return 0;
        }));
        cl.setExecutionExceptionHandler(MachinaCli::handle);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        List<String> a = new ArrayList<>(List.of("serve"));
        a.addAll(List.of(args));
        int status = cl.execute(a.toArray(String[]::new));
        return new Run(status, err.toString(), got[0], settings[0]);
    }

    private static void refused(String option, String... args) {
        Run r = run(args);
        assertEquals(2, r.status, List.of(args) + ": " + r.err);
        assertTrue(r.err.startsWith("machina: nbd serve: ") && r.err.contains(option), List.of(args) + ": " + r.err);
        assertEquals(1, r.err.lines().count(), "one line, printed once: " + r.err);
        assertFalse(r.err.contains("Usage"), r.err);
        assertTrue(r.serve == null, "the server is not started");
    }

    @Test
    void theIssuesQemuNbdCommandLineIsAccepted() {
        Run r = run("-t", "-r", "-f", "qcow2", "-b", "127.0.0.1", "-p", "10810", "-x", "d", "img.qcow2");
        assertEquals(0, r.status, r.err);
        assertTrue(r.serve.persistent && r.settings.readOnly() && r.serve.port == 10810 && r.serve.exportName.equals("d"));
        assertEquals(new NbdServe.Resolved(Path.of("img.qcow2"), "qcow2", true, "writeback", false, "off"), r.settings);
    }

    @Test
    void everyQemuNbdOptionThatMapsIsAccepted() {
        // (--fork re-runs the command line as a new process: tested in NbdCommandTest)
        Run r = run("--persistent", "--pid-file=/tmp/p.pid", "-D", "my disk", "--cache=writethrough", "--aio=threads",
                "--discard=unmap", "--detect-zeroes=unmap", "-s", "-v", "-o", "512", "-e", "2", "-k", "/tmp/s.sock", "-A", "img");
        assertEquals(0, r.status, r.err);
        assertEquals(new NbdServe.Resolved(Path.of("img"), null, false, "writethrough", true, "unmap"), r.settings);
        assertTrue(r.serve.persistent && r.serve.snapshot && r.serve.verbose && r.serve.offset == 512 && r.serve.shared == 2
                && r.serve.allocationDepth);
        assertEquals("my disk", r.serve.description);
        assertEquals(Path.of("/tmp/p.pid"), r.serve.pidFile);
        Run n = run("-n", "--aio=native", "--discard=on", "--detect-zeroes=on", "img");
        assertEquals(0, n.status, n.err);
        assertEquals(new NbdServe.Resolved(Path.of("img"), null, false, "none", true, "on"), n.settings);
        assertEquals("", n.serve.description == null ? "" : n.serve.description);
    }

    @Test
    void imageOptsGiveTheFileFormatAndSettings() {
        Run r = run("-r", "--image-opts", "driver=qcow2,file.driver=file,file.filename=/x/d.qcow2,read-only=on,cache.no-flush=on");
        assertEquals(0, r.status, r.err);
        assertEquals(new NbdServe.Resolved(Path.of("/x/d.qcow2"), "qcow2", true, "unsafe", false, "off"), r.settings);
        Run f = run("--image-opts", "driver=file,filename=d.img,discard=unmap,detect-zeroes=unmap");
        assertEquals(new NbdServe.Resolved(Path.of("d.img"), "raw", false, "writeback", true, "unmap"), f.settings);
        assertEquals(new NbdServe.Resolved(Path.of("p.img"), null, false, "writeback", false, "off"),
                run("--image-opts", "file.filename=p.img").settings, "no driver: the format is probed, as in qemu-nbd");
        refused("--image-opts and -f/--format are mutually exclusive", "--image-opts", "-f", "raw", "driver=raw,file.filename=x");
        refused("read-only=on needs -r", "--image-opts", "driver=raw,file.filename=x,read-only=on");
        refused("'bogus' is not supported", "--image-opts", "driver=raw,file.filename=x,bogus=1");
        refused("file.filename=PATH", "--image-opts", "driver=qcow2,file=x");
        refused("file.driver=nbd", "--image-opts", "driver=raw,file.driver=nbd,file.filename=x");
    }

    @Test
    void unsupportedQemuNbdOptionsAreRefusedNamingThem() {
        refused("-B/--bitmap", "-B", "b0", "img");
        refused("-B/--bitmap", "--bitmap=b0", "img");
        refused("-l/--load-snapshot", "-l", "snap1", "img");
        refused("--object", "--object", "secret,id=s0,data=x", "img");
        refused("-T/--trace", "-T", "nbd_*", "img");
        refused("--tls-creds", "--tls-creds", "tls0", "img");
        refused("--tls-authz", "--tls-authz", "a0", "img");
        refused("--selinux-label", "--selinux-label", "x", "img");
        refused("-L/--list", "-L", "img");
        refused("-c/--connect", "-c", "/dev/nbd0", "img");
        refused("-d/--disconnect", "-d", "img");
    }

    @Test
    void badValuesAndUnknownOptionsAreOneLineNamingTheOption() {
        refused("unknown option '--bogus'", "--bogus", "img");
        refused("unknown option '-P'", "-P", "1", "img");
        refused("--cache 'fast'", "--cache=fast", "img");
        refused("-n and --cache", "-n", "--cache=none", "img");
        refused("--aio=native needs --cache=none", "--aio=native", "img");
        refused("--aio 'posix'", "--aio=posix", "img");
        refused("--discard 'sometimes'", "--discard=sometimes", "img");
        refused("--detect-zeroes=unmap needs --discard=unmap", "--detect-zeroes=unmap", "img");
        refused("must not be negative", "-o", "-1", "img");
        refused("IMAGE", "-t");
    }
}
