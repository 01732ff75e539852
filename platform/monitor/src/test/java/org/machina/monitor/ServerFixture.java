package org.machina.monitor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.machina.monitor.commands.BlockdevChangeMedium;
import org.machina.monitor.commands.Cont;
import org.machina.monitor.commands.DeviceAdd;
import org.machina.monitor.commands.DeviceDel;
import org.machina.monitor.commands.Eject;
import org.machina.monitor.commands.FastPathSwitch;
import org.machina.monitor.commands.HumanMonitorCommand;
import org.machina.monitor.commands.QomGet;
import org.machina.monitor.commands.QomList;
import org.machina.monitor.commands.QueryCommands;
import org.machina.monitor.commands.QueryCpusFast;
import org.machina.monitor.commands.QueryStatus;
import org.machina.monitor.commands.QueryVersion;
import org.machina.monitor.commands.Quit;
import org.machina.monitor.commands.Stop;
import org.machina.monitor.commands.SystemPowerdown;
import org.machina.monitor.commands.SystemReset;

/** A QmpServer on a Unix socket in a temporary directory, with the core commands and a fake machine. */
public abstract class ServerFixture {
    @TempDir
    protected Path dir;
    protected Path socket;
    protected FakeMachine machine;
    protected CommandRegistry registry;
    protected QmpServer server;

    @BeforeEach
    void startServer() throws IOException {
        socket = dir.resolve("qmp.sock");
        machine = new FakeMachine();
        registry = new CommandRegistry();
        for (var c : new org.machina.api.monitor.MonitorCommand[] {new QueryVersion(), new QueryStatus(),
                new QueryCommands(), new QueryCpusFast(), new Stop(), new Cont(), new SystemReset(),
                new SystemPowerdown(), new Quit(), new DeviceAdd(), new DeviceDel(), new QomList(), new QomGet(),
                new HumanMonitorCommand(), new Eject(), new BlockdevChangeMedium(), new FastPathSwitch()}) {
            registry.add(c);
        }
        server = new QmpServer(machine, socket, Optional.empty(), registry);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    protected QmpTestClient client() throws IOException {
        return QmpTestClient.negotiated(socket);
    }
}
