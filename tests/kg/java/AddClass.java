import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;

/**
 * Do what a curator does in Protégé: open the ontology, add one labelled and
 * defined subclass, and save it as Turtle over the file (Protégé keeps the
 * prefixes of the document it opened).
 *
 * Usage: AddClass INPUT OUTPUT NAME PARENT. Prints one JSON object.
 */
public final class AddClass {
    private AddClass() {}

    public static void main(String[] args) throws Exception {
        String ns = "https://w3id.org/dmkg/ontology#";
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLDataFactory df = manager.getOWLDataFactory();
        OWLClass added = df.getOWLClass(IRI.create(ns + args[2]));
        OWLClass parent = df.getOWLClass(IRI.create(ns + args[3]));
        manager.addAxiom(ontology, df.getOWLDeclarationAxiom(added));
        manager.addAxiom(ontology, df.getOWLSubClassOfAxiom(added, parent));
        manager.addAxiom(ontology, df.getOWLAnnotationAssertionAxiom(
            df.getRDFSLabel(), added.getIRI(), df.getOWLLiteral(args[2].toLowerCase(), "en")));
        manager.addAxiom(ontology, df.getOWLAnnotationAssertionAxiom(
            df.getRDFSLabel(), added.getIRI(), df.getOWLLiteral(args[2].toLowerCase() + " (fr)", "fr")));
        OWLDocumentFormat source = manager.getOntologyFormat(ontology);
        TurtleDocumentFormat format = new TurtleDocumentFormat();
        format.copyPrefixesFrom(source.asPrefixOWLDocumentFormat());
        try (OutputStream out = new FileOutputStream(args[1])) {
            manager.saveOntology(ontology, format, out);
        }
        System.out.println("{\"saved\": true}");
    }
}
