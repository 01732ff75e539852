package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;

/** {@code machina run --with-machine NAME=FILE.json}: the other machine is built in the same runtime; stdio is the main machine's. */
class PeerMachinesTest {
    @TempDir
    Path dir;

    private final List<String> created = new ArrayList<>();
    private final MachineService machines = (MachineService) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {MachineService.class}, (p, m, a) -> {
                if (m.getName().equals("create")) {
                    created.add(a[0] + " " + a[1]);
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Machine.class},
                            (p2, m2, a2) -> null);
                }
                throw new UnsupportedOperationException(m.getName());
            });

    @Test
    void theDescriptionBecomesAMachineOfThatName() throws Exception {
        Path f = dir.resolve("peer.json");
        String json = "{\"board\": \"pc\", \"chardevs\": [{\"id\": \"serial0\", \"backend\": \"file\", \"path\": \"p.log\"}],"
                + " \"devices\": [{\"type\": \"ohci-1394\", \"bus-name\": \"fw\"}]}";
        Files.writeString(f, json);
        PeerMachines.create(machines, "peer", f);
        assertEquals(List.of("peer " + json), created);
    }

    @Test
    void stdioAndTheMainMachinesNameAreRefused() throws Exception {
        Path f = dir.resolve("peer.json");
        Files.writeString(f, "{\"board\": \"pc\", \"chardevs\": [{\"id\": \"serial0\", \"backend\": \"stdio\"}]}");
        QemuOptions.UsageException e = assertThrows(QemuOptions.UsageException.class,
                () -> PeerMachines.create(machines, "peer", f));
        assertTrue(e.getMessage().contains("'serial0' is stdio"), e.getMessage());
        assertThrows(QemuOptions.UsageException.class, () -> PeerMachines.create(machines, "run", f));
        assertTrue(created.isEmpty());
    }
}
