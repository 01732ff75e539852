/**
 * Guest physical address spaces, memory regions, RAM blocks and dirty logging.
 */
@Version("1.4.0")
@Export
package org.machina.api.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
