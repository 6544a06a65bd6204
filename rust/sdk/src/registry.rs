//! The link-time registry of extension factories and the type-erased view the host uses.

use std::future::Future;
use std::pin::Pin;

use linkme::distributed_slice;

use crate::lifecycle::{CreateSettings, Extension, ExtensionFactory, Host, LifecycleContext};
use crate::{Error, Stability, config};

/// A boxed, sendable future, as returned by the erased lifecycle calls.
#[doc(hidden)]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every extension factory linked into the library, each with the SDK version it was built
/// with. Fill it with [`register_extension!`](crate::register_extension), never by hand.
// Allowed: linkme places the slice in a linker section (`unsafe_code` flags `link_section`); the
// slice is only ever read through linkme's safe API.
#[allow(unsafe_code)]
#[distributed_slice]
#[doc(hidden)]
pub static EXTENSION_FACTORIES: [Registration];

/// One element of [`EXTENSION_FACTORIES`]: a factory and the version of the SDK the component
/// was compiled against, as [`register_extension!`](crate::register_extension) writes them.
/// The host reports the version to the collector's Go side, which refuses a library built with
/// an SDK it cannot run (docs/versioning.md).
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Registration {
    /// The factory.
    pub factory: &'static dyn ErasedExtensionFactory,
    /// [`VERSION`](crate::VERSION) of the SDK the registering crate was compiled against,
    /// written into the registration by the macro's expansion.
    pub sdk_version: &'static str,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("type", &self.factory.component_type())
            .field("factory", &self.factory.factory_name())
            .field("sdk_version", &self.sdk_version)
            .finish()
    }
}

/// Registers an [`ExtensionFactory`] value in [`EXTENSION_FACTORIES`], with the SDK version
/// the component is compiled against ([`VERSION`](crate::VERSION)).
///
/// ```ignore
/// otelcol_rust_sdk::register_extension!(SampleFactory);
/// ```
#[macro_export]
macro_rules! register_extension {
    ($factory:expr) => {
        const _: () = {
            // Allowed: linkme's element is a `link_section` static; it holds plain references.
            #[allow(unsafe_code)]
            #[$crate::linkme::distributed_slice($crate::EXTENSION_FACTORIES)]
            #[linkme(crate = $crate::linkme)]
            static REGISTRATION: $crate::Registration = $crate::Registration {
                factory: &$factory,
                sdk_version: $crate::VERSION,
            };
        };
    };
}

/// An [`ExtensionFactory`] seen through JSON, so factories of different config types share one
/// registry. Implemented for every `ExtensionFactory`; do not implement it yourself.
#[doc(hidden)]
pub trait ErasedExtensionFactory: Send + Sync {
    /// The component type.
    fn component_type(&self) -> &'static str;
    /// The factory's Rust type path (`crate::module::Factory`), to say which crate registered it.
    fn factory_name(&self) -> &'static str;
    /// The stability level the factory declares ([`ExtensionFactory::STABILITY`]).
    fn stability(&self) -> Stability;
    /// The default config as JSON.
    fn default_config(&self) -> Result<serde_json::Value, Error>;
    /// Decodes and validates a JSON config; returns it normalized (every key present).
    fn validate_config(&self, json: &str) -> Result<serde_json::Value, Error>;
    /// The ids of the extensions an instance with this config depends on.
    fn dependencies(&self, json: &str) -> Result<Vec<String>, Error>;
    /// Decodes, validates again (the config may not have come through config load) and creates.
    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExtension>, Error>;
}

impl<F: ExtensionFactory> ErasedExtensionFactory for F {
    fn component_type(&self) -> &'static str {
        F::TYPE
    }

    fn factory_name(&self) -> &'static str {
        std::any::type_name::<F>()
    }

    fn stability(&self) -> Stability {
        F::STABILITY
    }

    fn default_config(&self) -> Result<serde_json::Value, Error> {
        config::encode(&F::Config::default())
    }

    fn validate_config(&self, json: &str) -> Result<serde_json::Value, Error> {
        config::encode(&config::decode::<F::Config>(json)?)
    }

    fn dependencies(&self, json: &str) -> Result<Vec<String>, Error> {
        Ok(ExtensionFactory::dependencies(
            self,
            &config::decode::<F::Config>(json)?,
        ))
    }

    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExtension>, Error> {
        let config = config::decode::<F::Config>(json)?;
        Ok(Box::new(ExtensionFactory::create(self, settings, config)?))
    }
}

/// An [`Extension`] behind a pointer. Implemented for every `Extension`.
#[doc(hidden)]
pub trait ErasedExtension: Send {
    /// See [`Extension::start`].
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// See [`Extension::shutdown`].
    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>>;
}

impl<E: Extension> ErasedExtension for E {
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Extension::start(self, ctx, host))
    }

    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Extension::shutdown(self, ctx))
    }
}

/// The registrations, sorted by type and checked: types are lower_snake_case and unique.
/// Their SDK versions are reported to Go, which checks them (docs/versioning.md).
#[doc(hidden)]
pub fn extension_factories() -> Result<Vec<Registration>, Error> {
    check_factories(&EXTENSION_FACTORIES)
}

/// The factory registered for `component_type`, from [`extension_factories`] (so a malformed
/// or duplicate type refuses every lookup).
#[doc(hidden)]
pub fn find_extension_factory(
    component_type: &str,
) -> Result<&'static dyn ErasedExtensionFactory, Error> {
    extension_factories()?
        .into_iter()
        .map(|registration| registration.factory)
        .find(|factory| factory.component_type() == component_type)
        .ok_or_else(|| Error::UnknownType(component_type.to_owned()))
}

fn check_factories(registrations: &[Registration]) -> Result<Vec<Registration>, Error> {
    let mut checked: Vec<Registration> = Vec::new();
    for &registration in registrations {
        let factory = registration.factory;
        let kind = factory.component_type();
        if !is_lower_snake_case(kind) {
            return Err(Error::BadTypeName(kind.to_owned()));
        }
        if let Some(seen) = checked
            .iter()
            .find(|seen| seen.factory.component_type() == kind)
        {
            return Err(Error::DuplicateType {
                kind: kind.to_owned(),
                first: seen.factory.factory_name(),
                second: factory.factory_name(),
            });
        }
        checked.push(registration);
    }
    checked.sort_by_key(|registration| registration.factory.component_type());
    Ok(checked)
}

fn is_lower_snake_case(kind: &str) -> bool {
    kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::Config;

    #[derive(Default, Serialize, Deserialize)]
    struct NoConfig {}

    impl Config for NoConfig {
        fn validate(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    struct Idle;

    impl Extension for Idle {
        async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
            Ok(())
        }
        async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
            Ok(())
        }
    }

    macro_rules! factory {
        ($name:ident, $kind:literal) => {
            struct $name;
            impl ExtensionFactory for $name {
                const TYPE: &'static str = $kind;
                type Config = NoConfig;
                type Extension = Idle;
                fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Idle, Error> {
                    Ok(Idle)
                }
            }
        };
    }

    factory!(Alpha, "alpha");
    factory!(AlphaAgain, "alpha");
    factory!(Shouty, "Shouty");

    register_extension!(Alpha);

    fn registered(factory: &'static dyn ErasedExtensionFactory) -> Registration {
        Registration {
            factory,
            sdk_version: crate::VERSION,
        }
    }

    /// Guarantees: the macro puts a factory in the slice, with the SDK version it was compiled
    /// against, and lookups find it by type.
    #[test]
    fn registered_factory_is_found() {
        let registrations = extension_factories().expect("valid registry");
        let alpha = registrations
            .iter()
            .find(|registration| registration.factory.component_type() == "alpha")
            .expect("registered");
        assert_eq!(alpha.sdk_version, env!("CARGO_PKG_VERSION"));
        let factory = find_extension_factory("alpha").expect("registered");
        assert_eq!(factory.component_type(), "alpha");
        // A factory that declares no level is Development, as the SDK documents.
        assert_eq!(factory.stability(), Stability::Development);
        assert_eq!(
            find_extension_factory("beta").err(),
            Some(Error::UnknownType("beta".to_owned()))
        );
    }

    /// Guarantees: two factories of one type are refused loudly, not shadowed.
    #[test]
    fn duplicate_types_are_rejected() {
        let err = check_factories(&[registered(&Alpha), registered(&AlphaAgain)]).err();
        assert_eq!(
            err.map(|err| err.to_string()),
            Some(
                "extension type \"alpha\" is registered more than once: by \
                 otelcol_rust_sdk::registry::tests::Alpha and by \
                 otelcol_rust_sdk::registry::tests::AlphaAgain"
                    .to_owned()
            )
        );
    }

    /// Guarantees: types the collector would refuse are refused here first.
    #[test]
    fn non_snake_case_types_are_rejected() {
        let err = check_factories(&[registered(&Shouty)]).err();
        assert_eq!(err, Some(Error::BadTypeName("Shouty".to_owned())));
        assert!(is_lower_snake_case("rust_sample2"));
        assert!(!is_lower_snake_case("2fast"));
        assert!(!is_lower_snake_case("rust-sample"));
    }
}
