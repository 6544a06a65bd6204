//! Compile-time checks for the rust2go boundary of `otelcol-rust-ffi`.

use proc_macro::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemTrait, ReturnType, TraitItem, Type, parse_macro_input};

/// `#[replies_are(Reply)]` on a `#[rust2go::g2r]` trait: a compile error for every method that
/// returns a type other than `Reply` (methods that return nothing are fine).
///
/// The `extern "C"` export rust2go generates for a method boxes the method's result, its C
/// view and a buffer, and hands Go a pointer to that box with no type attached. The boundary
/// frees every such box as a `Reply`'s, so a method with another return type would have its
/// reply freed as the wrong type. The trait is passed through unchanged (place this attribute
/// above `#[rust2go::g2r]`, which rust2go-cli still finds); one assertion per method follows it,
/// pointing at the return type that is wrong.
#[proc_macro_attribute]
pub fn replies_are(attr: TokenStream, item: TokenStream) -> TokenStream {
    let expected = parse_macro_input!(attr as Type);
    let item = parse_macro_input!(item as ItemTrait);
    let returned = item.items.iter().filter_map(|item| match item {
        TraitItem::Fn(method) => match &method.sig.output {
            ReturnType::Type(_, returned) => Some(returned),
            ReturnType::Default => None,
        },
        _ => None,
    });
    let assertions = returned.map(|returned| {
        // Spanned at the return type, so the error points at the method that is wrong.
        quote_spanned! {returned.span()=> is_expected::<#returned>();}
    });
    let message = format!(
        "`{{Self}}` is not `{}`: every method of a g2r trait checked by `replies_are` must return `{0}` or nothing",
        quote!(#expected)
    );
    quote! {
        #item
        const _: () = {
            #[diagnostic::on_unimplemented(
                message = #message,
                note = "the boundary frees every reply the rust2go exports box as this one type"
            )]
            trait Expected {}
            impl Expected for #expected {}
            const fn is_expected<T: Expected>() {}
            #(#assertions)*
        };
    }
    .into()
}
