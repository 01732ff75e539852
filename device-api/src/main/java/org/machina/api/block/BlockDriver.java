package org.machina.api.block;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/** Opens images of one format ({@code raw}, {@code qcow2}); a service with {@code machina.name} = format. */
@ConsumerType
public interface BlockDriver {
    String format();

    /** Whether the first bytes of a file look like this format (for format probing). */
    boolean probe(byte[] header);

    BlockNode open(String nodeName, Path file, boolean readOnly, Map<String, String> options) throws IOException;
}
