package org.machina.api.machine;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The runtime: builds machines from descriptions and lists what is installed. */
@ProviderType
public interface MachineService {
    /**
     * Builds a machine from a JSON description (see the README for the format).
     *
     * @throws DescriptionException naming the JSON path of the first problem
     */
    Machine create(String name, String descriptionJson);

    List<Machine> machines();

    Optional<Machine> find(String name);

    /** Installed type names per kind: {@code board}, {@code cpu}, {@code device}, {@code chardev}, {@code block}. */
    java.util.Map<String, List<String>> installedTypes();
}
