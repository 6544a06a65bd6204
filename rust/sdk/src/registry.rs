//! The link-time registries of component factories and the type-erased views the host uses.
//!
//! Each kind has its slice ([`EXTENSION_FACTORIES`], [`EXPORTER_FACTORIES`],
//! [`PROCESSOR_FACTORIES`], [`RECEIVER_FACTORIES`]) and its erased factory trait; what every
//! kind has (type, stability, config) is [`ErasedFactory`], written once for all kinds. A
//! registration wraps the component's factory in [`AsExtension`], [`AsExporter`],
//! [`AsProcessor`] or [`AsReceiver`], which is
//! what lets one type implement the shared half once per kind without the blanket
//! implementations overlapping.

use std::future::Future;
use std::pin::Pin;

use linkme::distributed_slice;

use crate::exporter::{Batch, ExportContext, ExportOutcome, Exporter, ExporterFactory, Signal};
use crate::lifecycle::{CreateSettings, Extension, ExtensionFactory, Host, LifecycleContext};
use crate::processor::{
    ProcessBatch, ProcessContext, ProcessError, Processed, Processor, ProcessorFactory,
};
use crate::receiver::{Consumers, Receiver, ReceiverFactory};
use crate::{Config, Error, Stability, config};

/// A boxed, sendable future, as returned by the erased lifecycle calls.
#[doc(hidden)]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The component kinds, as the boundary names them.
pub(crate) const EXTENSION: &str = "extension";
pub(crate) const EXPORTER: &str = "exporter";
pub(crate) const PROCESSOR: &str = "processor";
pub(crate) const RECEIVER: &str = "receiver";

/// Every extension factory linked into the library, each with the SDK version it was built
/// with. Fill it with [`register_extension!`](crate::register_extension), never by hand.
// Allowed: linkme places the slice in a linker section (`unsafe_code` flags `link_section`); the
// slice is only ever read through linkme's safe API.
#[allow(unsafe_code)]
#[distributed_slice]
#[doc(hidden)]
pub static EXTENSION_FACTORIES: [Registration];

/// Every exporter factory linked into the library, each with the SDK version it was built
/// with. Fill it with [`register_exporter!`](crate::register_exporter), never by hand.
// Allowed: as for EXTENSION_FACTORIES.
#[allow(unsafe_code)]
#[distributed_slice]
#[doc(hidden)]
pub static EXPORTER_FACTORIES: [ExporterRegistration];

/// Every processor factory linked into the library, each with the SDK version it was built
/// with. Fill it with [`register_processor!`](crate::register_processor), never by hand.
// Allowed: as for EXTENSION_FACTORIES.
#[allow(unsafe_code)]
#[distributed_slice]
#[doc(hidden)]
pub static PROCESSOR_FACTORIES: [ProcessorRegistration];

/// Every receiver factory linked into the library, each with the SDK version it was built
/// with. Fill it with [`register_receiver!`](crate::register_receiver), never by hand.
// Allowed: as for EXTENSION_FACTORIES.
#[allow(unsafe_code)]
#[distributed_slice]
#[doc(hidden)]
pub static RECEIVER_FACTORIES: [ReceiverRegistration];

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

/// One element of [`EXPORTER_FACTORIES`], as [`Registration`] is for extensions.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct ExporterRegistration {
    /// The factory.
    pub factory: &'static dyn ErasedExporterFactory,
    /// [`VERSION`](crate::VERSION) of the SDK the registering crate was compiled against.
    pub sdk_version: &'static str,
}

/// One element of [`PROCESSOR_FACTORIES`], as [`Registration`] is for extensions.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct ProcessorRegistration {
    /// The factory.
    pub factory: &'static dyn ErasedProcessorFactory,
    /// [`VERSION`](crate::VERSION) of the SDK the registering crate was compiled against.
    pub sdk_version: &'static str,
}

/// One element of [`RECEIVER_FACTORIES`], as [`Registration`] is for extensions.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct ReceiverRegistration {
    /// The factory.
    pub factory: &'static dyn ErasedReceiverFactory,
    /// [`VERSION`](crate::VERSION) of the SDK the registering crate was compiled against.
    pub sdk_version: &'static str,
}

impl std::fmt::Debug for ReceiverRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_registration(f, "ReceiverRegistration", self.factory, self.sdk_version)
    }
}

impl std::fmt::Debug for ProcessorRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_registration(f, "ProcessorRegistration", self.factory, self.sdk_version)
    }
}

fn debug_registration(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    factory: &dyn ErasedFactory,
    sdk_version: &str,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("type", &factory.component_type())
        .field("factory", &factory.factory_name())
        .field("sdk_version", &sdk_version)
        .finish()
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_registration(f, "Registration", self.factory, self.sdk_version)
    }
}

impl std::fmt::Debug for ExporterRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_registration(f, "ExporterRegistration", self.factory, self.sdk_version)
    }
}

/// Registers an [`ExtensionFactory`] value in `EXTENSION_FACTORIES`, with the SDK version
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
                factory: &$crate::AsExtension($factory),
                sdk_version: $crate::VERSION,
            };
        };
    };
}

/// Registers an [`ExporterFactory`] value in `EXPORTER_FACTORIES`, with the SDK version
/// the component is compiled against ([`VERSION`](crate::VERSION)).
///
/// ```ignore
/// otelcol_rust_sdk::register_exporter!(OtlpHttpFactory);
/// ```
#[macro_export]
macro_rules! register_exporter {
    ($factory:expr) => {
        const _: () = {
            // Allowed: linkme's element is a `link_section` static; it holds plain references.
            #[allow(unsafe_code)]
            #[$crate::linkme::distributed_slice($crate::EXPORTER_FACTORIES)]
            #[linkme(crate = $crate::linkme)]
            static REGISTRATION: $crate::ExporterRegistration = $crate::ExporterRegistration {
                factory: &$crate::AsExporter($factory),
                sdk_version: $crate::VERSION,
            };
        };
    };
}

/// Registers a [`ProcessorFactory`] value in `PROCESSOR_FACTORIES`, with the SDK version
/// the component is compiled against ([`VERSION`](crate::VERSION)).
///
/// ```ignore
/// otelcol_rust_sdk::register_processor!(RedactionFactory);
/// ```
#[macro_export]
macro_rules! register_processor {
    ($factory:expr) => {
        const _: () = {
            // Allowed: linkme's element is a `link_section` static; it holds plain references.
            #[allow(unsafe_code)]
            #[$crate::linkme::distributed_slice($crate::PROCESSOR_FACTORIES)]
            #[linkme(crate = $crate::linkme)]
            static REGISTRATION: $crate::ProcessorRegistration = $crate::ProcessorRegistration {
                factory: &$crate::AsProcessor($factory),
                sdk_version: $crate::VERSION,
            };
        };
    };
}

/// Registers a [`ReceiverFactory`] value in `RECEIVER_FACTORIES`, with the SDK version
/// the component is compiled against ([`VERSION`](crate::VERSION)).
///
/// ```ignore
/// otelcol_rust_sdk::register_receiver!(OtlpHttpReceiverFactory);
/// ```
#[macro_export]
macro_rules! register_receiver {
    ($factory:expr) => {
        const _: () = {
            // Allowed: linkme's element is a `link_section` static; it holds plain references.
            #[allow(unsafe_code)]
            #[$crate::linkme::distributed_slice($crate::RECEIVER_FACTORIES)]
            #[linkme(crate = $crate::linkme)]
            static REGISTRATION: $crate::ReceiverRegistration = $crate::ReceiverRegistration {
                factory: &$crate::AsReceiver($factory),
                sdk_version: $crate::VERSION,
            };
        };
    };
}

/// A [`ReceiverFactory`] as registered: see the module documentation.
#[doc(hidden)]
pub struct AsReceiver<F>(pub F);

/// A [`ProcessorFactory`] as registered: see the module documentation.
#[doc(hidden)]
pub struct AsProcessor<F>(pub F);

/// An [`ExtensionFactory`] as registered: see the module documentation.
#[doc(hidden)]
pub struct AsExtension<F>(pub F);

/// An [`ExporterFactory`] as registered: see the module documentation.
#[doc(hidden)]
pub struct AsExporter<F>(pub F);

/// What every kind of factory declares about itself and its config; [`ErasedFactory`] is
/// implemented once from it.
#[doc(hidden)]
pub trait FactoryConfig: Send + Sync + 'static {
    /// The component's factory type (its path names the crate that registered it).
    type Factory: 'static;
    /// The config struct.
    type Config: Config;
    /// The component type.
    const TYPE: &'static str;
    /// The declared stability.
    const STABILITY: Stability;
}

impl<F: ExtensionFactory> FactoryConfig for AsExtension<F> {
    type Factory = F;
    type Config = F::Config;
    const TYPE: &'static str = F::TYPE;
    const STABILITY: Stability = F::STABILITY;
}

impl<F: ExporterFactory> FactoryConfig for AsExporter<F> {
    type Factory = F;
    type Config = F::Config;
    const TYPE: &'static str = F::TYPE;
    const STABILITY: Stability = F::STABILITY;
}

impl<F: ProcessorFactory> FactoryConfig for AsProcessor<F> {
    type Factory = F;
    type Config = F::Config;
    const TYPE: &'static str = F::TYPE;
    const STABILITY: Stability = F::STABILITY;
}

impl<F: ReceiverFactory> FactoryConfig for AsReceiver<F> {
    type Factory = F;
    type Config = F::Config;
    const TYPE: &'static str = F::TYPE;
    const STABILITY: Stability = F::STABILITY;
}

/// The half of a factory every kind has, seen through JSON so factories of different config
/// types share one registry. Implemented for every registration; do not implement it yourself.
#[doc(hidden)]
pub trait ErasedFactory: Send + Sync {
    /// The component type.
    fn component_type(&self) -> &'static str;
    /// The factory's Rust type path (`crate::module::Factory`), to say which crate registered it.
    fn factory_name(&self) -> &'static str;
    /// The stability level the factory declares.
    fn stability(&self) -> Stability;
    /// The default config as JSON.
    fn default_config(&self) -> Result<serde_json::Value, Error>;
    /// Decodes and validates a JSON config; returns it normalized (every key present).
    fn validate_config(&self, json: &str) -> Result<serde_json::Value, Error>;
}

impl<T: FactoryConfig> ErasedFactory for T {
    fn component_type(&self) -> &'static str {
        T::TYPE
    }

    fn factory_name(&self) -> &'static str {
        std::any::type_name::<T::Factory>()
    }

    fn stability(&self) -> Stability {
        T::STABILITY
    }

    fn default_config(&self) -> Result<serde_json::Value, Error> {
        config::encode(&T::Config::default())
    }

    fn validate_config(&self, json: &str) -> Result<serde_json::Value, Error> {
        config::encode(&config::decode::<T::Config>(json)?)
    }
}

/// An [`ExtensionFactory`] seen through JSON. Implemented for every registered one.
#[doc(hidden)]
pub trait ErasedExtensionFactory: ErasedFactory {
    /// The ids of the extensions an instance with this config depends on.
    fn dependencies(&self, json: &str) -> Result<Vec<String>, Error>;
    /// Decodes, validates again (the config may not have come through config load) and creates.
    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExtension>, Error>;
}

impl<F: ExtensionFactory> ErasedExtensionFactory for AsExtension<F> {
    fn dependencies(&self, json: &str) -> Result<Vec<String>, Error> {
        Ok(self.0.dependencies(&config::decode::<F::Config>(json)?))
    }

    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExtension>, Error> {
        let config = config::decode::<F::Config>(json)?;
        Ok(Box::new(self.0.create(settings, config)?))
    }
}

/// An [`ExporterFactory`] seen through JSON. Implemented for every registered one.
#[doc(hidden)]
pub trait ErasedExporterFactory: ErasedFactory {
    /// The signals the exporter declares ([`ExporterFactory::SIGNALS`]).
    fn signals(&self) -> &'static [Signal];
    /// Decodes, validates again and creates.
    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExporter>, Error>;
}

impl<F: ExporterFactory> ErasedExporterFactory for AsExporter<F> {
    fn signals(&self) -> &'static [Signal] {
        F::SIGNALS
    }

    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedExporter>, Error> {
        let config = config::decode::<F::Config>(json)?;
        Ok(Box::new(self.0.create(settings, config)?))
    }
}

/// A [`ProcessorFactory`] seen through JSON. Implemented for every registered one.
#[doc(hidden)]
pub trait ErasedProcessorFactory: ErasedFactory {
    /// The signals the processor declares ([`ProcessorFactory::SIGNALS`]).
    fn signals(&self) -> &'static [Signal];
    /// Decodes, validates again and creates.
    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedProcessor>, Error>;
}

impl<F: ProcessorFactory> ErasedProcessorFactory for AsProcessor<F> {
    fn signals(&self) -> &'static [Signal] {
        F::SIGNALS
    }

    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedProcessor>, Error> {
        let config = config::decode::<F::Config>(json)?;
        Ok(Box::new(self.0.create(settings, config)?))
    }
}

/// A [`ReceiverFactory`] seen through JSON. Implemented for every registered one.
#[doc(hidden)]
pub trait ErasedReceiverFactory: ErasedFactory {
    /// The signals the receiver declares ([`ReceiverFactory::SIGNALS`]).
    fn signals(&self) -> &'static [Signal];
    /// The receiver's transport ([`ReceiverFactory::TRANSPORT`]).
    fn transport(&self) -> &'static str;
    /// Decodes, validates again and creates.
    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedReceiver>, Error>;
}

impl<F: ReceiverFactory> ErasedReceiverFactory for AsReceiver<F> {
    fn signals(&self) -> &'static [Signal] {
        F::SIGNALS
    }

    fn transport(&self) -> &'static str {
        F::TRANSPORT
    }

    fn create(
        &self,
        settings: &CreateSettings,
        json: &str,
    ) -> Result<Box<dyn ErasedReceiver>, Error> {
        let config = config::decode::<F::Config>(json)?;
        Ok(Box::new(self.0.create(settings, config)?))
    }
}

/// A [`Receiver`] behind a pointer. Implemented for every `Receiver`.
#[doc(hidden)]
pub trait ErasedReceiver: Send {
    /// See [`Receiver::start`].
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
        consumers: Consumers,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// See [`Receiver::shutdown`].
    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>>;
}

impl<R: Receiver> ErasedReceiver for R {
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
        consumers: Consumers,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Receiver::start(self, ctx, host, consumers))
    }

    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Receiver::shutdown(self, ctx))
    }
}

/// A [`Processor`] behind a pointer. Implemented for every `Processor`.
#[doc(hidden)]
pub trait ErasedProcessor: Send + Sync {
    /// See [`Processor::start`].
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// See [`Processor::process`].
    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError>;
    /// See [`Processor::shutdown`].
    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>>;
}

impl<P: Processor> ErasedProcessor for P {
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Processor::start(self, ctx, host))
    }

    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError> {
        Processor::process(self, batch, ctx)
    }

    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Processor::shutdown(self, ctx))
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

/// An [`Exporter`] behind a pointer. Implemented for every `Exporter`.
#[doc(hidden)]
pub trait ErasedExporter: Send + Sync {
    /// See [`Exporter::start`].
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// See [`Exporter::export`].
    fn export<'a>(
        &'a self,
        batch: Batch<'a>,
        ctx: &'a ExportContext,
    ) -> BoxFuture<'a, ExportOutcome>;
    /// See [`Exporter::shutdown`].
    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>>;
}

impl<E: Exporter> ErasedExporter for E {
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Exporter::start(self, ctx, host))
    }

    fn export<'a>(
        &'a self,
        batch: Batch<'a>,
        ctx: &'a ExportContext,
    ) -> BoxFuture<'a, ExportOutcome> {
        Box::pin(Exporter::export(self, batch, ctx))
    }

    fn shutdown<'a>(&'a mut self, ctx: &'a LifecycleContext) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(Exporter::shutdown(self, ctx))
    }
}

/// The extension registrations, sorted by type and checked: types are lower_snake_case and
/// unique among extensions. Their SDK versions are reported to Go, which checks them
/// (docs/versioning.md).
#[doc(hidden)]
pub fn extension_factories() -> Result<Vec<Registration>, Error> {
    check_extensions(&EXTENSION_FACTORIES)
}

/// The exporter registrations, sorted by type and checked as [`extension_factories`] does;
/// besides, every exporter declares at least one signal.
#[doc(hidden)]
pub fn exporter_factories() -> Result<Vec<ExporterRegistration>, Error> {
    check_exporters(&EXPORTER_FACTORIES)
}

/// The processor registrations, sorted by type and checked as [`exporter_factories`] does.
#[doc(hidden)]
pub fn processor_factories() -> Result<Vec<ProcessorRegistration>, Error> {
    check_processors(&PROCESSOR_FACTORIES)
}

/// The processor factory registered for `component_type`, from [`processor_factories`].
#[doc(hidden)]
pub fn find_processor_factory(
    component_type: &str,
) -> Result<&'static dyn ErasedProcessorFactory, Error> {
    processor_factories()?
        .into_iter()
        .map(|registration| registration.factory)
        .find(|factory| factory.component_type() == component_type)
        .ok_or_else(|| unknown(PROCESSOR, component_type))
}

/// The receiver registrations, sorted by type and checked as [`exporter_factories`] does.
#[doc(hidden)]
pub fn receiver_factories() -> Result<Vec<ReceiverRegistration>, Error> {
    check_receivers(&RECEIVER_FACTORIES)
}

/// The receiver factory registered for `component_type`, from [`receiver_factories`].
#[doc(hidden)]
pub fn find_receiver_factory(
    component_type: &str,
) -> Result<&'static dyn ErasedReceiverFactory, Error> {
    receiver_factories()?
        .into_iter()
        .map(|registration| registration.factory)
        .find(|factory| factory.component_type() == component_type)
        .ok_or_else(|| unknown(RECEIVER, component_type))
}

fn check_receivers(
    registrations: &[ReceiverRegistration],
) -> Result<Vec<ReceiverRegistration>, Error> {
    let checked = check_factories(RECEIVER, registrations, |registration| registration.factory)?;
    check_signals(RECEIVER, &checked, |registration| {
        (registration.factory, registration.factory.signals())
    })?;
    Ok(checked)
}

fn check_extensions(registrations: &[Registration]) -> Result<Vec<Registration>, Error> {
    check_factories(EXTENSION, registrations, |registration| {
        registration.factory
    })
}

fn check_exporters(
    registrations: &[ExporterRegistration],
) -> Result<Vec<ExporterRegistration>, Error> {
    let checked = check_factories(EXPORTER, registrations, |registration| registration.factory)?;
    check_signals(EXPORTER, &checked, |registration| {
        (registration.factory, registration.factory.signals())
    })?;
    Ok(checked)
}

fn check_processors(
    registrations: &[ProcessorRegistration],
) -> Result<Vec<ProcessorRegistration>, Error> {
    let checked = check_factories(PROCESSOR, registrations, |registration| {
        registration.factory
    })?;
    check_signals(PROCESSOR, &checked, |registration| {
        (registration.factory, registration.factory.signals())
    })?;
    Ok(checked)
}

/// Refuses the first factory of a pipeline kind that declares no signal: it could be in no
/// pipeline.
fn check_signals<R>(
    kind: &'static str,
    registrations: &[R],
    declared: impl Fn(&R) -> (&'static dyn ErasedFactory, &'static [Signal]),
) -> Result<(), Error> {
    match registrations
        .iter()
        .map(declared)
        .find(|(_, signals)| signals.is_empty())
    {
        Some((silent, _)) => Err(Error::NoSignals {
            kind,
            component_type: silent.component_type().to_owned(),
            factory: silent.factory_name(),
        }),
        None => Ok(()),
    }
}

/// The extension factory registered for `component_type`, from [`extension_factories`] (so a
/// malformed or duplicate type refuses every lookup).
#[doc(hidden)]
pub fn find_extension_factory(
    component_type: &str,
) -> Result<&'static dyn ErasedExtensionFactory, Error> {
    extension_factories()?
        .into_iter()
        .map(|registration| registration.factory)
        .find(|factory| factory.component_type() == component_type)
        .ok_or_else(|| unknown(EXTENSION, component_type))
}

/// The exporter factory registered for `component_type`, from [`exporter_factories`].
#[doc(hidden)]
pub fn find_exporter_factory(
    component_type: &str,
) -> Result<&'static dyn ErasedExporterFactory, Error> {
    exporter_factories()?
        .into_iter()
        .map(|registration| registration.factory)
        .find(|factory| factory.component_type() == component_type)
        .ok_or_else(|| unknown(EXPORTER, component_type))
}

fn unknown(kind: &'static str, component_type: &str) -> Error {
    Error::UnknownType {
        kind,
        component_type: component_type.to_owned(),
    }
}

/// Checks the registrations of one kind: types lower_snake_case and unique; answers them
/// sorted by type.
fn check_factories<R: Copy>(
    kind: &'static str,
    registrations: &[R],
    factory: impl Fn(&R) -> &'static dyn ErasedFactory,
) -> Result<Vec<R>, Error> {
    let mut checked: Vec<R> = Vec::new();
    for registration in registrations {
        let this = factory(registration);
        let component_type = this.component_type();
        if !is_lower_snake_case(component_type) {
            return Err(Error::BadTypeName {
                kind,
                component_type: component_type.to_owned(),
            });
        }
        if let Some(seen) = checked
            .iter()
            .map(&factory)
            .find(|seen| seen.component_type() == component_type)
        {
            return Err(Error::DuplicateType {
                kind,
                component_type: component_type.to_owned(),
                first: seen.factory_name(),
                second: this.factory_name(),
            });
        }
        checked.push(*registration);
    }
    checked.sort_by_key(|registration| factory(registration).component_type());
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

    impl Exporter for Idle {
        async fn export<'a>(&'a self, _: Batch<'a>, _: &'a ExportContext) -> ExportOutcome {
            ExportOutcome::Ok
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

    macro_rules! exporter_factory {
        ($name:ident, $kind:literal, $signals:expr) => {
            struct $name;
            impl ExporterFactory for $name {
                const TYPE: &'static str = $kind;
                const SIGNALS: &'static [Signal] = $signals;
                type Config = NoConfig;
                type Exporter = Idle;
                fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Idle, Error> {
                    Ok(Idle)
                }
            }
        };
    }

    factory!(Alpha, "alpha");
    factory!(AlphaAgain, "alpha");
    factory!(Shouty, "Shouty");
    // The same type as the extension `alpha`, in the other kind: allowed.
    exporter_factory!(AlphaOut, "alpha", &[Signal::Logs, Signal::Traces]);
    exporter_factory!(AlphaOutAgain, "alpha", &[Signal::Logs]);
    exporter_factory!(Silent, "silent", &[]);
    exporter_factory!(ShoutyOut, "Shouty", &[Signal::Metrics]);

    impl Processor for Idle {
        // Drops every item: an answer only a real processor call produces.
        fn process(
            &self,
            batch: &ProcessBatch<'_>,
            _: &ProcessContext,
        ) -> Result<Processed, ProcessError> {
            Ok(Processed::Keep(vec![false; batch.items() as usize]))
        }
    }

    macro_rules! processor_factory {
        ($name:ident, $kind:literal, $signals:expr) => {
            struct $name;
            impl ProcessorFactory for $name {
                const TYPE: &'static str = $kind;
                const SIGNALS: &'static [Signal] = $signals;
                type Config = NoConfig;
                type Processor = Idle;
                fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Idle, Error> {
                    Ok(Idle)
                }
            }
        };
    }

    // The same type as the extension and the exporter `alpha`, in a third kind: allowed.
    processor_factory!(AlphaProc, "alpha", &[Signal::Traces, Signal::Metrics]);
    processor_factory!(AlphaProcAgain, "alpha", &[Signal::Logs]);
    processor_factory!(SilentProc, "silent", &[]);

    /// Sends one empty traces request at start, to show the consumers reached it.
    struct Greeter;

    impl Receiver for Greeter {
        async fn start(
            &mut self,
            _: &LifecycleContext,
            _: &Host,
            consumers: Consumers,
        ) -> Result<(), Error> {
            match consumers.traces() {
                Some(traces) => traces
                    .send_traces(&Default::default())
                    .await
                    .map_err(|err| Error::lifecycle(err.to_string())),
                None => Err(Error::lifecycle("no traces consumer")),
            }
        }
    }

    macro_rules! receiver_factory {
        ($name:ident, $kind:literal, $signals:expr) => {
            struct $name;
            impl ReceiverFactory for $name {
                const TYPE: &'static str = $kind;
                const SIGNALS: &'static [Signal] = $signals;
                const TRANSPORT: &'static str = "http";
                type Config = NoConfig;
                type Receiver = Greeter;
                fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Greeter, Error> {
                    Ok(Greeter)
                }
            }
        };
    }

    // The same type as the other kinds' `alpha`, in a fourth kind: allowed.
    receiver_factory!(AlphaRecv, "alpha", &[Signal::Traces, Signal::Logs]);
    receiver_factory!(AlphaRecvAgain, "alpha", &[Signal::Metrics]);
    receiver_factory!(SilentRecv, "silent", &[]);
    receiver_factory!(ShoutyRecv, "Shouty", &[Signal::Metrics]);

    /// A receiver factory that keeps the defaults of `STABILITY` and `TRANSPORT`.
    struct Plain;
    impl ReceiverFactory for Plain {
        const TYPE: &'static str = "plain";
        const SIGNALS: &'static [Signal] = &[Signal::Logs];
        type Config = NoConfig;
        type Receiver = Greeter;
        fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Greeter, Error> {
            Ok(Greeter)
        }
    }

    register_extension!(Alpha);
    register_exporter!(AlphaOut);
    register_processor!(AlphaProc);
    register_receiver!(AlphaRecv);

    fn registered(factory: &'static dyn ErasedExtensionFactory) -> Registration {
        Registration {
            factory,
            sdk_version: crate::VERSION,
        }
    }

    fn exporter(factory: &'static dyn ErasedExporterFactory) -> ExporterRegistration {
        ExporterRegistration {
            factory,
            sdk_version: crate::VERSION,
        }
    }

    fn processor(factory: &'static dyn ErasedProcessorFactory) -> ProcessorRegistration {
        ProcessorRegistration {
            factory,
            sdk_version: crate::VERSION,
        }
    }

    fn receiver(factory: &'static dyn ErasedReceiverFactory) -> ReceiverRegistration {
        ReceiverRegistration {
            factory,
            sdk_version: crate::VERSION,
        }
    }

    /// Guarantees: `register_receiver!` puts a receiver factory in its own slice, with the SDK
    /// version, its signals and its transport (empty and Development when not declared); each
    /// lookup finds the factory of its own kind; the erased factory creates an instance that
    /// starts with the consumers it is given and stops.
    #[tokio::test]
    async fn registered_receiver_is_found_created_and_started() {
        let registrations = receiver_factories().expect("valid registry");
        assert_eq!(registrations.len(), 1);
        assert_eq!(registrations[0].sdk_version, env!("CARGO_PKG_VERSION"));
        let factory = find_receiver_factory("alpha").expect("registered");
        assert_eq!(
            factory.factory_name(),
            "otelcol_rust_sdk::registry::tests::AlphaRecv"
        );
        assert_eq!(factory.signals(), [Signal::Traces, Signal::Logs]);
        assert_eq!(factory.transport(), "http");
        assert_eq!(factory.default_config().ok(), Some(serde_json::json!({})));
        let plain: &dyn ErasedReceiverFactory = &AsReceiver(Plain);
        assert_eq!(
            (plain.transport(), plain.stability()),
            ("", Stability::Development)
        );
        assert_eq!(
            find_processor_factory("alpha").map(|factory| factory.factory_name()),
            Ok("otelcol_rust_sdk::registry::tests::AlphaProc")
        );
        assert_eq!(
            find_receiver_factory("beta")
                .err()
                .map(|err| err.to_string()),
            Some("unknown receiver type \"beta\"".to_owned())
        );

        let host = crate::testing::TestHost::new("alpha/erased");
        let err = factory.create(host.settings(), r#"{"odd":1}"#).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("odd: unknown configuration key")
        );
        let mut instance = factory.create(host.settings(), "{}").expect("valid");
        let pipeline = crate::testing::TestConsumers::new();
        instance
            .start(
                &host.context(),
                host.host(),
                pipeline.consumers(&[Signal::Traces]),
            )
            .await
            .expect("starts");
        assert_eq!(
            pipeline.received(),
            [(Signal::Traces, crate::Payload::protobuf(Vec::new()))]
        );
        instance.shutdown(&host.context()).await.expect("stops");
    }

    /// Guarantees: receivers are checked like exporters: two factories of one type are
    /// refused, so is one declaring no signal or a type that is not lower_snake_case, each
    /// naming the receiver kind.
    #[test]
    fn receivers_are_checked_like_exporters() {
        let err = check_receivers(&[
            receiver(&AsReceiver(AlphaRecv)),
            receiver(&AsReceiver(AlphaRecvAgain)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()),
            Some(
                "receiver type \"alpha\" is registered more than once: by \
                 otelcol_rust_sdk::registry::tests::AlphaRecv and by \
                 otelcol_rust_sdk::registry::tests::AlphaRecvAgain"
                    .to_owned()
            )
        );
        let err = check_receivers(&[
            receiver(&AsReceiver(AlphaRecv)),
            receiver(&AsReceiver(SilentRecv)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some(
                "receiver type \"silent\" (otelcol_rust_sdk::registry::tests::SilentRecv) \
                 declares no signals"
            )
        );
        let err = check_receivers(&[receiver(&AsReceiver(ShoutyRecv))]).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("receiver type \"Shouty\" is not lower_snake_case")
        );
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
        assert_eq!(
            factory.factory_name(),
            "otelcol_rust_sdk::registry::tests::Alpha"
        );
        // A factory that declares no level is Development, as the SDK documents.
        assert_eq!(factory.stability(), Stability::Development);
        assert_eq!(
            find_extension_factory("beta")
                .err()
                .map(|err| err.to_string()),
            Some("unknown extension type \"beta\"".to_owned())
        );
    }

    /// Guarantees: `register_exporter!` puts an exporter factory in its own slice, with the
    /// SDK version and its signals; a type may be both an extension and an exporter, and each
    /// lookup finds the factory of its own kind.
    #[test]
    fn registered_exporter_is_found_by_kind() {
        let registrations = exporter_factories().expect("valid registry");
        assert_eq!(registrations.len(), 1);
        assert_eq!(registrations[0].sdk_version, env!("CARGO_PKG_VERSION"));
        let factory = find_exporter_factory("alpha").expect("registered");
        assert_eq!(
            factory.factory_name(),
            "otelcol_rust_sdk::registry::tests::AlphaOut"
        );
        assert_eq!(factory.signals(), [Signal::Logs, Signal::Traces]);
        assert_eq!(factory.default_config().ok(), Some(serde_json::json!({})));
        assert_eq!(
            find_extension_factory("alpha").map(|factory| factory.factory_name()),
            Ok("otelcol_rust_sdk::registry::tests::Alpha")
        );
        assert_eq!(
            find_exporter_factory("beta")
                .err()
                .map(|err| err.to_string()),
            Some("unknown exporter type \"beta\"".to_owned())
        );
    }

    /// Guarantees: `register_processor!` puts a processor factory in its own slice, with the
    /// SDK version and its signals; each lookup finds the factory of its own kind; the erased
    /// factory creates an instance the host can start, call and stop.
    #[tokio::test]
    async fn registered_processor_is_found_created_and_called() {
        let registrations = processor_factories().expect("valid registry");
        assert_eq!(registrations.len(), 1);
        assert_eq!(registrations[0].sdk_version, env!("CARGO_PKG_VERSION"));
        let factory = find_processor_factory("alpha").expect("registered");
        assert_eq!(
            factory.factory_name(),
            "otelcol_rust_sdk::registry::tests::AlphaProc"
        );
        assert_eq!(factory.signals(), [Signal::Traces, Signal::Metrics]);
        assert_eq!(factory.stability(), Stability::Development);
        assert_eq!(factory.default_config().ok(), Some(serde_json::json!({})));
        assert_eq!(
            find_exporter_factory("alpha").map(|factory| factory.factory_name()),
            Ok("otelcol_rust_sdk::registry::tests::AlphaOut")
        );
        assert_eq!(
            find_processor_factory("beta")
                .err()
                .map(|err| err.to_string()),
            Some("unknown processor type \"beta\"".to_owned())
        );

        let host = crate::testing::TestHost::new("alpha/erased");
        let err = factory.create(host.settings(), r#"{"odd":1}"#).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("odd: unknown configuration key")
        );
        let mut instance = factory.create(host.settings(), "{}").expect("valid");
        instance
            .start(&host.context(), host.host())
            .await
            .expect("starts");
        let ctx = ProcessContext::new(host.settings().id.clone());
        let answer = instance.process(&ProcessBatch::new(Signal::Traces, &[], 2), &ctx);
        assert_eq!(answer, Ok(Processed::Keep(vec![false, false])));
        instance.shutdown(&host.context()).await.expect("stops");
    }

    /// Guarantees: two processor factories of one type are refused, and a processor that
    /// declares no signal is refused naming its own kind.
    #[test]
    fn processors_are_checked_like_exporters() {
        let err = check_processors(&[
            processor(&AsProcessor(AlphaProc)),
            processor(&AsProcessor(AlphaProcAgain)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()),
            Some(
                "processor type \"alpha\" is registered more than once: by \
                 otelcol_rust_sdk::registry::tests::AlphaProc and by \
                 otelcol_rust_sdk::registry::tests::AlphaProcAgain"
                    .to_owned()
            )
        );
        let err = check_processors(&[
            processor(&AsProcessor(AlphaProc)),
            processor(&AsProcessor(SilentProc)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some(
                "processor type \"silent\" (otelcol_rust_sdk::registry::tests::SilentProc) \
                 declares no signals"
            )
        );
    }

    /// Guarantees: two factories of one type and kind are refused loudly, not shadowed.
    #[test]
    fn duplicate_types_are_rejected() {
        let err = check_extensions(&[
            registered(&AsExtension(Alpha)),
            registered(&AsExtension(AlphaAgain)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()),
            Some(
                "extension type \"alpha\" is registered more than once: by \
                 otelcol_rust_sdk::registry::tests::Alpha and by \
                 otelcol_rust_sdk::registry::tests::AlphaAgain"
                    .to_owned()
            )
        );
        let err = check_exporters(&[
            exporter(&AsExporter(AlphaOut)),
            exporter(&AsExporter(AlphaOutAgain)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()),
            Some(
                "exporter type \"alpha\" is registered more than once: by \
                 otelcol_rust_sdk::registry::tests::AlphaOut and by \
                 otelcol_rust_sdk::registry::tests::AlphaOutAgain"
                    .to_owned()
            )
        );
    }

    /// Guarantees: types the collector would refuse are refused here first, in each kind.
    #[test]
    fn non_snake_case_types_are_rejected() {
        let err = check_extensions(&[registered(&AsExtension(Shouty))]).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("extension type \"Shouty\" is not lower_snake_case")
        );
        let err = check_exporters(&[exporter(&AsExporter(ShoutyOut))]).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("exporter type \"Shouty\" is not lower_snake_case")
        );
        assert!(is_lower_snake_case("rust_sample2"));
        assert!(!is_lower_snake_case("2fast"));
        assert!(!is_lower_snake_case("rust-sample"));
    }

    /// Guarantees: an exporter that declares no signal (it could be in no pipeline) is
    /// refused with the registry, naming it.
    #[test]
    fn exporters_declare_signals() {
        let err = check_exporters(&[
            exporter(&AsExporter(AlphaOut)),
            exporter(&AsExporter(Silent)),
        ])
        .err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some(
                "exporter type \"silent\" (otelcol_rust_sdk::registry::tests::Silent) declares \
                 no signals"
            )
        );
    }
}
