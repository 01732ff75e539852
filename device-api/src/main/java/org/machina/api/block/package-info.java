/**
 * Block nodes (disk images) and the drivers that open them; {@link org.machina.api.block.RemovableMedium}
 * (1.3) for drives whose medium the monitor can change.
 */
@Version("1.3.0")
@Export
package org.machina.api.block;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
