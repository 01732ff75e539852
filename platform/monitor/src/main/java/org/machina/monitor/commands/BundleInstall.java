package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.api.machine.BundleService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** QMP {@code x-machina-bundle-install}: installs and starts a bundle from a file path or URL (location). */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-bundle-install")
public final class BundleInstall extends BundleCommand {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BundleService bundles;

    @Override
    BundleService bundleService() {
        return bundles;
    }

    @Override
    public String name() {
        return "x-machina-bundle-install";
    }

    @Override
    public String description() {
        return "installs and starts a bundle from a file path or URL (location)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("location"));
        return toQmp(bundles().install(Args.string(arguments, "location")));
    }
}
