import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.stream.Collectors;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

/**
 * Load an ontology with the OWL API, check it against the OWL 2 DL profile and
 * save it with the OWL API's own Turtle and RDF/XML writers, as Protégé does.
 *
 * Usage: OwlApiCheck INPUT OUTPUT_DIR. Prints one JSON object on standard output.
 */
public final class OwlApiCheck {
    private OwlApiCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: OwlApiCheck INPUT OUTPUT_DIR");
            System.exit(2);
        }
        File input = new File(args[0]);
        File outDir = new File(args[1]);
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(input);
        } catch (Exception e) {
            System.out.println("{\"loaded\": false, \"error\": " + quote(String.valueOf(e.getMessage())) + "}");
            return;
        }
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        List<String> violations = report.getViolations().stream()
            .map(OWLProfileViolation::toString)
            .sorted()
            .collect(Collectors.toList());
        File turtle = new File(outDir, "roundtrip.ttl");
        File rdfxml = new File(outDir, "roundtrip.owl");
        save(manager, ontology, new TurtleDocumentFormat(), turtle);
        save(manager, ontology, new RDFXMLDocumentFormat(), rdfxml);
        StringBuilder out = new StringBuilder();
        out.append("{\"loaded\": true");
        out.append(", \"axioms\": ").append(ontology.getAxiomCount());
        out.append(", \"logicalAxioms\": ").append(ontology.getLogicalAxiomCount());
        out.append(", \"individuals\": ").append(ontology.getIndividualsInSignature().size());
        out.append(", \"turtle\": ").append(quote(turtle.getPath()));
        out.append(", \"rdfxml\": ").append(quote(rdfxml.getPath()));
        out.append(", \"violations\": [");
        for (int i = 0; i < violations.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append(quote(violations.get(i)));
        }
        out.append("]}");
        System.out.println(out);
    }

    private static void save(OWLOntologyManager manager, OWLOntology ontology,
                             OWLDocumentFormat format, File target) throws Exception {
        OWLDocumentFormat source = manager.getOntologyFormat(ontology);
        if (source != null && source.isPrefixOWLDocumentFormat() && format.isPrefixOWLDocumentFormat()) {
            format.asPrefixOWLDocumentFormat().copyPrefixesFrom(source.asPrefixOWLDocumentFormat());
        }
        try (OutputStream stream = new FileOutputStream(target)) {
            manager.saveOntology(ontology, format, stream);
        }
    }

    private static String quote(String text) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
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
