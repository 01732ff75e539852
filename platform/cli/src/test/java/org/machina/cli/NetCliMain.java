package org.machina.cli;

import org.machina.net.user.NetStandaloneComponent;
import picocli.CommandLine;

/** {@code machina net ...} in a plain JVM (no framework): the NetStandalone service constructed directly. */
public final class NetCliMain {
    private NetCliMain() {
    }

    public static void main(String[] args) {
        CommandLine cl = NetCommand.commandLine(new NetCommand(() -> new NetServeLink(NetStandaloneComponent::new)));
        cl.setExecutionExceptionHandler(MachinaCli::handle);
        int status = cl.execute(args);
        System.out.flush();
        System.exit(status);
    }
}
