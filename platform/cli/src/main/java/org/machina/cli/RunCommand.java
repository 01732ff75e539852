package org.machina.cli;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code machina run}: builds a machine from QEMU-style options or a JSON description and runs it in the foreground. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a machine in the foreground until it powers off.",
            "Give a JSON machine description file, or QEMU-style options:",
            "  -machine pc|none   -cpu MODEL   -m SIZE (MiB, or 256M/1G)",
            "  -accel interp|tcg[,thresh=N]  (x86: interpret, the default; or translate hot code to JVM bytecode)",
            "  -kernel FILE  -initrd FILE  -append CMDLINE  -bios FILE",
            "  -serial stdio|null|file:PATH|tcp::PORT|unix:PATH   -nographic   -display none",
            "  -chardev BACKEND,id=ID[,k=v...]   -device TYPE[,id=ID][,k=v...]",
            "  -global TYPE.PROP=VALUE   a property default for every device of TYPE (-global hpet.fastpath=off)",
            "  -drive file=F,format=raw|qcow2[,if=ide|virtio|none][,media=disk|cdrom][,index=N][,readonly=on][,id=ID]",
            "  -hda/-hdb/-hdc/-hdd FILE (raw IDE disk)   -cdrom ISO (IDE CD-ROM)",
            "  -netdev user,id=ID[,hostfwd=tcp::HP-:GP...]   -device e1000|virtio-net-pci,netdev=ID[,mac=MAC]",
            "  -nic user[,model=e1000|virtio-net-pci][,mac=MAC][,hostfwd=...]   -net nic[,model=M] -net user",
            "  -netdev stream,id=ID[,server=on|off],addr.type=inet,addr.host=H,addr.port=P (or addr.type=unix,addr.path=F)",
            "  -netdev dgram,id=ID,local.type=inet,local.host=H,local.port=P,remote.type=inet,remote.host=H,remote.port=Q",
            "  -netdev socket,id=ID,listen=[H]:P|connect=H:P   -object filter-dump,id=ID,netdev=ID,file=F.pcap[,maxlen=N]",
            "  -debugcon FILE|stdio   --post-log FILE   -no-reboot   -S",
            "  -qmp unix:PATH,server=on,wait=off   a QMP monitor for this run (stop, cont, hot-swap...)",
            "  --print-description   print the description the options produce and exit",
            "  --with-machine NAME=FILE.json   also run the machine FILE.json describes, named NAME, in this",
            "      runtime (repeatable; e.g. a second guest on a shared FireWire bus: ohci-1394,bus-name=B in both);",
            "      it starts with this machine and is shut down when this one ends; its chardevs may not be stdio"})
final class RunCommand implements Callable<Integer> {
    private final MachineService machines;
    private final DaemonCommand.MonitorLink monitors;

    @Unmatched
    private List<String> args = new ArrayList<>();

    RunCommand(MachineService machines, DaemonCommand.MonitorLink monitors) {
        this.machines = machines;
        this.monitors = monitors;
    }

    @Override
    public Integer call() throws Exception {
        List<String[]> peers = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--with-machine") || a.startsWith("--with-machine=")) {
                String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : i + 1 < args.size() ? args.get(++i) : "";
                int eq = v.indexOf('=');
                if (eq <= 0 || eq == v.length() - 1) {
                    throw new QemuOptions.UsageException("--with-machine " + v + ": expected NAME=FILE.json");
                }
                peers.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
            } else {
                rest.add(a);
            }
        }
        QemuOptions.Parsed parsed = QemuOptions.parse(rest);
        String json = parsed.descriptionFile() != null
                ? Files.readString(Path.of(parsed.descriptionFile()))
                : new GsonBuilder().setPrettyPrinting().create().toJson(parsed.description());
        if (parsed.printDescription()) {
            System.out.println(json);
            return 0;
        }
        Machine m = machines.create("run", json);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> m.shutdown("interrupted", 130)));
        List<Machine> others = new ArrayList<>();
        try {
            for (String[] p : peers) {
                others.add(PeerMachines.create(machines, p[0], Path.of(p[1])));
            }
        } catch (RuntimeException | java.io.IOException e) {
            PeerMachines.shutdown(others, "the run did not start");
            m.shutdown("another machine did not start", 1);
            throw e;
        }
        AutoCloseable monitor = null;
        if (parsed.qmpSocket() != null) {
            Path socket = Path.of(parsed.qmpSocket()).toAbsolutePath();
            try {
                monitor = monitors.start(m, socket);
            } catch (Exception e) {
                m.shutdown("the QMP monitor did not start", 1);
                throw e;
            }
            System.err.println("machina: QMP monitor on unix:" + socket);
        }
        try {
            if (parsed.startPaused()) {
                System.err.println(monitor != null ? "machina: -S given: the machine stays paused until QMP 'cont'"
                        : "machina: -S given: the machine stays paused (give -qmp to continue it with 'cont')");
            } else {
                m.start();
            }
            for (Machine o : others) {
                o.start();
            }
            int status = awaitEnd(m);
            PeerMachines.shutdown(others, "machine 'run' ended");
            System.out.flush();
            System.err.println("machina: " + m.shutdownReason().orElse("machine stopped"));
            return status;
        } finally {
            if (monitor != null) {
                monitor.close();
            }
        }
    }

    /** Waits for the machine to shut down, however long it runs; its exit status. */
    static int awaitEnd(Machine m) throws InterruptedException {
        Optional<Integer> status;
        do {
            status = m.awaitShutdown(Duration.ofDays(1));
        } while (status.isEmpty());
        return status.get();
    }
}
