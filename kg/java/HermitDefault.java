import java.io.File;
import java.util.List;
import java.util.stream.Collectors;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.reasoner.InferenceType;

/**
 * Classify an ontology with HermiT in its default configuration, which is what
 * Protégé's Reasoner menu runs (no ignoreUnsupportedDatatypes).
 *
 * Usage: HermitDefault INPUT. Prints one JSON object on standard output.
 */
public final class HermitDefault {
    private HermitDefault() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: HermitDefault INPUT");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        } catch (Exception e) {
            System.out.println("{\"loaded\": false, \"error\": " + quote(firstLine(e)) + "}");
            return;
        }
        StringBuilder out = new StringBuilder("{\"loaded\": true");
        try {
            Reasoner reasoner = new Reasoner(new Configuration(), ontology);
            boolean consistent = reasoner.isConsistent();
            out.append(", \"consistent\": ").append(consistent);
            out.append(", \"unsatisfiable\": [");
            if (consistent) {
                reasoner.precomputeInferences(InferenceType.CLASS_HIERARCHY);
                List<String> unsatisfiable = reasoner.getUnsatisfiableClasses()
                    .getEntitiesMinusBottom().stream()
                    .map(OWLClass::toStringID).sorted().collect(Collectors.toList());
                for (int i = 0; i < unsatisfiable.size(); i++) {
                    out.append(i > 0 ? ", " : "").append(quote(unsatisfiable.get(i)));
                }
            }
            out.append("]");
            reasoner.dispose();
        } catch (Exception e) {
            out.append(", \"error\": ").append(quote(e.getClass().getSimpleName() + ": " + firstLine(e)));
        }
        System.out.println(out.append("}"));
    }

    private static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
    }

    private static String quote(String text) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
