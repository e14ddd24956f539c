use super::*;

const TWO: &str = "# header\n---\napiVersion: v1\nkind: A\nspec:\n  a: 1\n  list:\n  - x: 1\n    y: 2\n  - x: 3\n---\nkind: B\n";

#[test]
fn documents_keys_blocks_and_items_are_found_by_indentation() {
    let t = Text::parse(TWO);
    let d0 = t.document(0).expect("doc 0");
    let spec = t.find(d0, "spec").expect("spec");
    let b = t.child(spec).expect("mapping");
    assert_eq!(b.col, 2);
    let list = t.find(b, "list").expect("list");
    let items = t.items(list);
    assert_eq!(items.len(), 2);
    assert_eq!(t.find(items[0], "y").map(|e| e.line), Some(8));
    assert!(t.find(items[1], "y").is_none());
    let d1 = t.document(1).expect("doc 1");
    assert!(t.find(d1, "kind").is_some());
    assert!(t.find(d1, "spec").is_none());
    assert_eq!(t.render(), TWO, "nothing changed, nothing moved");
}

#[test]
fn a_removed_block_takes_its_value_and_leaves_the_rest() {
    let mut t = Text::parse(TWO);
    let d0 = t.document(0).expect("doc");
    let b = t.child(t.find(d0, "spec").expect("spec")).expect("block");
    let list = t.find(b, "list").expect("list");
    t.remove(list);
    assert_eq!(
        t.render(),
        "# header\n---\napiVersion: v1\nkind: A\nspec:\n  a: 1\n---\nkind: B\n"
    );
}

#[test]
fn a_line_finds_its_document() {
    let t = Text::parse(TWO);
    assert_eq!(t.document_at_line(3), Some(0));
    assert_eq!(t.document_at_line(12), Some(1));
    assert_eq!(t.document_at_line(40), None);
}
