package org.machina.monitor.commands;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuDebug;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineState;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code human-monitor-command}: a small subset of QEMU's human monitor. Replies are text
 * with {@code \r\n} line ends; an unknown command is a text reply saying so, as in QEMU.
 */
@Component(service = MonitorCommand.class, property = "machina.name=human-monitor-command")
public final class HumanMonitorCommand implements MonitorCommand {
    private static final String HELP = """
            help                -- this list
            info status         -- the run state of the machine
            info registers      -- the CPU registers
            info qtree          -- the devices of the machine
            info version        -- the version
            stop                -- pause the machine
            cont | c            -- resume the machine
            system_reset        -- reset the machine
            system_powerdown    -- press the power button
            eject [-f] DEVICE   -- eject a CD-ROM's medium (DEVICE: drive or device id; -f: even if locked)
            change DEVICE FILE [FORMAT] -- put the image FILE in a CD-ROM
            """;
    private static final long REGISTER_TIMEOUT_SECONDS = 5;

    @Override
    public String name() {
        return "human-monitor-command";
    }

    @Override
    public String description() {
        return "runs a human monitor command line: help, info status|registers|qtree|version, stop, cont, "
                + "system_reset, system_powerdown, eject, change";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("command-line", "cpu-index"));
        String line = Args.string(arguments, "command-line").strip();
        String[] words = line.split("\\s+");
        String text = switch (words[0]) {
            case "help", "?" -> HELP;
            case "info" -> info(context, words.length > 1 ? words[1] : "", line);
            case "stop" -> {
                context.requireMachine().pause("host-hmp-stop");
                yield "";
            }
            case "cont", "c" -> {
                context.requireMachine().start();
                yield "";
            }
            case "system_reset" -> {
                context.requireMachine().reset("host-hmp-system-reset");
                yield "";
            }
            case "system_powerdown" -> {
                context.requireMachine().powerButton();
                yield "";
            }
            case "eject" -> media(context, words, line);
            case "change" -> media(context, words, line);
            default -> unknown(line);
        };
        return text.replace("\r\n", "\n").replace("\n", "\r\n");
    }

    /** {@code eject [-f] DEVICE} and {@code change DEVICE FILE [FORMAT]}; an error is the reply text, as in QEMU. */
    private static String media(CommandContext context, String[] words, String line) throws MonitorException {
        boolean eject = words[0].equals("eject");
        boolean force = eject && words.length > 1 && words[1].equals("-f");
        int first = force ? 2 : 1;
        int args = words.length - first;
        if (eject ? args != 1 : args != 2 && args != 3) {
            return eject ? "usage: eject [-f] DEVICE\n" : "usage: change DEVICE FILE [FORMAT]\n";
        }
        String device = words[first];
        try {
            Eject.media(() -> {
                if (eject) {
                    context.requireMachine().ejectMedium(device, force);
                } else {
                    context.requireMachine().changeMedium(device, words[first + 1], args == 3 ? words[first + 2] : "", false);
                }
            });
        } catch (MonitorException e) {
            return e.getMessage() + "\n";
        }
        return "";
    }

    private static String unknown(String line) {
        return "unknown command: '" + line + "'\n";
    }

    private String info(CommandContext context, String what, String line) throws MonitorException {
        return switch (what) {
            case "status" -> "VM status: " + status(context.requireMachine().state()) + "\n";
            case "registers" -> registers(context.requireMachine());
            case "qtree" -> qtree(context.requireMachine().devices());
            case "version" -> QmpVersionText.TEXT + "\n";
            case "" -> "info status\ninfo registers\ninfo qtree\ninfo version\n";
            default -> unknown(line);
        };
    }

    static String status(MachineState state) {
        return switch (state) {
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case CREATED -> "paused (prelaunch)";
            case SHUT_DOWN -> "paused (shutdown)";
        };
    }

    private static String registers(Machine machine) throws MonitorException {
        Optional<Cpu> cpu = machine.cpu();
        if (cpu.isEmpty()) {
            return "No CPU available\n";
        }
        CpuDebug debug = cpu.get().debug();
        return Args.onMachineThread(machine, "registers", REGISTER_TIMEOUT_SECONDS, () -> formatRegisters(debug));
    }

    /** {@code NAME=hex} with as many digits as the register has, four registers a line. */
    static String formatRegisters(CpuDebug debug) {
        List<CpuDebug.RegisterInfo> regs = debug.registers();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < regs.size(); i++) {
            CpuDebug.RegisterInfo r = regs.get(i);
            int digits = Math.max(1, (Math.min(r.bits(), 64) + 3) / 4);
            String hex = Long.toHexString(debug.readRegister(i)).toUpperCase();
            if (hex.length() > digits) {
                hex = hex.substring(hex.length() - digits);
            }
            out.append(r.name().toUpperCase()).append('=').append("0".repeat(digits - hex.length())).append(hex);
            out.append(i % 4 == 3 || i == regs.size() - 1 ? "\n" : " ");
        }
        return out.toString();
    }

    private static String qtree(List<DeviceInfo> devices) {
        StringBuilder out = new StringBuilder("bus: main-system-bus\n  type System\n");
        for (DeviceInfo d : devices) {
            out.append("  dev: ").append(d.type()).append(", id \"").append(d.id()).append("\"\n");
            out.append("    bundle = \"").append(d.bundle()).append("\"\n");
            for (Map.Entry<String, String> p : d.properties().entrySet()) {
                out.append("    ").append(p.getKey()).append(" = \"").append(p.getValue()).append("\"\n");
            }
        }
        return out.toString();
    }
}
