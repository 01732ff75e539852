package org.machina.itests;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Jars for hot-swap tests, made from a distribution's bundle. */
final class HotSwapJars {
    private HotSwapJars() {
    }

    /**
     * {@code jar} re-packaged as {@code Bundle-Version: version}: the same classes, which the
     * framework loads again in a new class loader. With {@code withoutComponents} the
     * Declarative Services header is dropped, so the bundle resolves and starts but registers no
     * device type, and an update to it fails after the devices were detached (a rollback).
     */
    static Path rebuilt(Path jar, Path target, String version, boolean withoutComponents) throws IOException {
        return rebuilt(jar, target, version, withoutComponents, null, 0);
    }

    /**
     * {@code jar} re-packaged as {@code version}, with class {@code className}'s
     * {@code stateVersion()} rewritten (ClassFile API) to return {@code stateVersion}: it resolves,
     * registers its types and passes every check before the swap, and then cannot load the state
     * saved by the running version, so the update fails after the machines paused (a rollback).
     */
    static Path withStateVersion(Path jar, Path target, String version, String className, int stateVersion) throws IOException {
        return rebuilt(jar, target, version, false, className.replace('.', '/') + ".class", stateVersion);
    }

    private static Path rebuilt(Path jar, Path target, String version, boolean withoutComponents, String patchedClass,
            int stateVersion) throws IOException {
        boolean patched = false;
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest m = in.getManifest();
            m.getMainAttributes().putValue("Bundle-Version", version);
            if (withoutComponents) {
                m.getMainAttributes().remove(new Attributes.Name("Service-Component"));
            }
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), m)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    if (e.getName().equals(patchedClass)) {
                        out.write(withStateVersion(in.readAllBytes(), stateVersion));
                        patched = true;
                    } else {
                        in.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
        if (patchedClass != null && !patched) {
            throw new IOException(patchedClass + " is not in " + jar);
        }
        return target;
    }

    private static byte[] withStateVersion(byte[] classBytes, int stateVersion) {
        ClassFile cf = ClassFile.of();
        return cf.transformClass(cf.parse(classBytes), (cb, element) -> {
            if (element instanceof MethodModel mm && mm.methodName().equalsString("stateVersion")
                    && mm.methodType().equalsString("()I")) {
                cb.withMethodBody(mm.methodName(), mm.methodType(), mm.flags().flagsMask(),
                        code -> code.loadConstant(stateVersion).ireturn());
            } else {
                cb.with(element);
            }
        });
    }
}
