package org.machina.cli;

import org.machina.nbd.Standalone;
import picocli.CommandLine;

/** {@code machina nbd ...} in a plain JVM (no framework): the NbdStandalone service with ServiceLoader drivers. */
public final class NbdCliMain {
    private NbdCliMain() {
    }

    public static void main(String[] args) {
        CommandLine cl = NbdCommand.commandLine(new NbdCommand(() -> new NbdServeLink(Standalone::service)));
        cl.setExecutionExceptionHandler(MachinaCli::handle);
        int status = cl.execute(args);
        System.out.flush();
        System.exit(status);
    }
}
